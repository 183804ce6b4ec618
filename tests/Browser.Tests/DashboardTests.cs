using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

[Collection(LiveAppCollection.Name)]
public class DashboardTests(LiveApp app)
{
    [Fact]
    public async Task A_steward_finds_a_user_revokes_a_session_and_the_overview_count_drops_without_reloading()
    {
        await app.LoginThroughApiAsync("enwiki", "Sandbox Alice");
        await app.LoginThroughApiAsync("dewiki", "Sandbox Alice");
        var overview = await app.LogInAsync("steward");
        var total = overview.Locator("#total-active");
        await Expect(total).Not.ToHaveTextAsync("0");
        var before = int.Parse((await total.TextContentAsync())!.Trim().Replace(",", ""));
        await overview.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("overview.png"), FullPage = true });

        var users = await overview.Context.NewPageAsync();
        await LiveApp.OpenAsync(users, "/users");
        // One input event, so exactly one suggestion search runs (typing key by key races the debounced searches).
        await users.Locator("#user-search").FillAsync("Sandbox Ali");
        await users.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Sandbox Alice" }).ClickAsync();
        await Expect(users.Locator("#user-name")).ToHaveTextAsync("Sandbox Alice");
        // Other tests on the same app may have logged Alice in elsewhere: this one counts from what the page lists.
        var rows = users.Locator(".session-list tbody tr");
        await Expect(rows.Filter(new() { HasText = "enwiki" })).Not.ToHaveCountAsync(0);
        await Expect(rows.Filter(new() { HasText = "dewiki" })).Not.ToHaveCountAsync(0);
        var listed = await rows.CountAsync();
        await users.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("user.png"), FullPage = true });

        await users.Locator(".revoke-session").First.ClickAsync();
        await Expect(users.Locator("#blast-radius")).ToContainTextAsync("1 cookie session");
        await Expect(users.Locator("#action-run")).ToBeDisabledAsync();
        await users.Locator("#action-reason").FillAsync("Reported a stolen laptop");
        await Expect(users.Locator("#action-run")).ToBeEnabledAsync();
        await users.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("revoke-dialog.png") });
        await users.Locator("#action-run").ClickAsync();
        await Expect(users.Locator("#action-check")).ToContainTextAsync("nothing the action reached still yields a session");
        await users.Locator("#action-close").ClickAsync();
        await Expect(rows).ToHaveCountAsync(listed - 1);

        // The first tab was never reloaded: the live feed brought the new count.
        await Expect(total).ToHaveTextAsync((before - 1).ToString("N0"));
        await Expect(overview.Locator("#live-feed")).ToContainTextAsync("revoke-session");
    }

    [Fact]
    public async Task Support_staff_find_no_action_buttons()
    {
        await app.LoginThroughApiAsync("frwiki", "Sandbox Carol");
        var page = await app.LogInAsync("support");
        await Expect(page.Locator("nav a", new() { HasText = "Actions" })).ToHaveCountAsync(0);

        await LiveApp.OpenAsync(page, "/users/Sandbox%20Carol");
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Sandbox Carol");
        await Expect(page.Locator(".session-list tbody tr")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("#read-only")).ToBeVisibleAsync();
        await Expect(page.Locator(".revoke-session")).ToHaveCountAsync(0);
        await Expect(page.Locator("#invalidate-user")).ToHaveCountAsync(0);
        await Expect(page.Locator("#prevent-user")).ToHaveCountAsync(0);

        var handle = (await page.Locator(".session-list tbody tr a.mono").First.TextContentAsync())!.Trim();
        await LiveApp.OpenAsync(page, $"/sessions/{handle}");
        await Expect(page.Locator("#session-state")).ToHaveTextAsync("Active");
        await Expect(page.Locator("#revoke-session")).ToHaveCountAsync(0);

        await page.GotoAsync("/actions", LiveApp.Committed);
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/denied"));
    }

    [Fact]
    public async Task The_trace_of_a_logout_that_logs_back_in_shows_the_resurrection_flag()
    {
        var traceId = await LogoutLogsBackInAsync("Sandbox Bob");
        var page = await app.LogInAsync("developer");

        await LiveApp.OpenAsync(page, "/traces");
        await page.Locator("#trace-resurrected").CheckAsync();
        await page.Locator(".trace-link", new() { HasText = traceId }).ClickAsync();

        var flag = page.Locator(".resurrection-flag");
        await Expect(flag).ToBeVisibleAsync();
        await Expect(flag).ToContainTextAsync("logged straight back in on enwiki");
        await Expect(page.Locator("#central-survived")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("logout-trace.png"), FullPage = true });

        await flag.Locator("a").ClickAsync();
        await Expect(page.Locator("#session-state")).ToHaveTextAsync("Active");
        await Expect(page.Locator("#provider-explanation")).ToContainTextAsync("auto-login");
    }

    [Fact]
    public async Task Screenshots_of_the_main_pages()
    {
        await app.LoginThroughApiAsync("itwiki", "Sandbox Carol");
        var page = await app.LogInAsync("steward");
        await LiveApp.OpenAsync(page, "/sessions");
        await Expect(page.Locator("#sessions-grid")).ToContainTextAsync("itwiki");
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("sessions.png"), FullPage = true });
        foreach (var (path, name, ready) in new[]
        {
            ("/traces", "traces.png", "#traces-grid"),
            ("/audit", "audit.png", "#audit-grid"),
            ("/actions", "actions.png", "#actions-everyone"),
            ("/replays", "replays.png", "#live-feed"),
        })
        {
            await LiveApp.OpenAsync(page, path);
            await Expect(page.Locator(ready)).ToBeVisibleAsync();
            await Expect(page.Locator(".mud-table-loading-progress")).ToHaveCountAsync(0);
            await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath(name), FullPage = true });
        }

        var anonymous = await app.Browser.NewPageAsync(new() { BaseURL = app.BaseUrl });
        await anonymous.GotoAsync("/login", LiveApp.Committed);
        await Expect(anonymous.Locator("#demo-accounts")).ToContainTextAsync("demo-credentials.json");
        await anonymous.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("login.png") });
        await anonymous.CloseAsync();
    }

    /// <summary>Login on enwiki, a local-scope logout (the broken integration), then the auto-login check brings the user back.</summary>
    private async Task<string> LogoutLogsBackInAsync(string user)
    {
        var cookies = await app.LoginThroughApiAsync("enwiki", user);
        var wiki = app.WikiServer("enwiki");
        var logout = await wiki.PostAsJsonAsync("/api/v1/wikis/enwiki/logout", new
        {
            cookies = cookies["en.wikipedia.org"], centralCookies = cookies["login.wikimedia.org"], scope = "local", client = LiveApp.Client,
        }, LiveApp.Json);
        logout.EnsureSuccessStatusCode();
        var traceId = (await logout.Content.ReadFromJsonAsync<JsonElement>(LiveApp.Json)).GetProperty("traceId").GetString()!;

        var resolve = await wiki.PostAsJsonAsync("/api/v1/wikis/enwiki/resolve", new
        {
            cookies = new Dictionary<string, string>(), centralCookies = cookies["login.wikimedia.org"], client = LiveApp.Client,
        }, LiveApp.Json);
        resolve.EnsureSuccessStatusCode();
        Assert.True((await resolve.Content.ReadFromJsonAsync<JsonElement>(LiveApp.Json)).GetProperty("autoLogin").GetBoolean());
        return traceId;
    }
}
