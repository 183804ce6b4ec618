using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

/// <summary>The app as the default run has it: the demo farm playing traffic through the API.</summary>
public sealed class FarmLiveApp : LiveApp
{
    protected override int DemoFarmRate => 40;
}

public sealed class FarmTrafficTests(FarmLiveApp app) : IClassFixture<FarmLiveApp>
{
    [Fact]
    public async Task The_overview_follows_the_demo_farm_without_reloading()
    {
        var page = await app.LogInAsync("developer");
        var total = page.Locator("#total-active");
        await Expect(total).Not.ToHaveTextAsync("0", new() { Timeout = LiveApp.UserWait });
        var first = (await total.TextContentAsync())!.Trim();

        await Expect(total).Not.ToHaveTextAsync(first, new() { Timeout = LiveApp.UserWait });
        await Expect(page.Locator("#live-feed")).ToContainTextAsync("enwiki", new() { Timeout = LiveApp.UserWait });
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("overview-live.png"), FullPage = true });
    }

    [Fact]
    public async Task A_mixed_cookie_jar_shows_its_metadata_diff_side_by_side()
    {
        // T124224: one account's session cookie with another account's user cookies.
        var cookies = await app.LoginThroughApiAsync("dewiki", "Sandbox Alice");
        var mixed = new Dictionary<string, string>(cookies["de.wikipedia.org"]) { ["dewikiUserName"] = "Sandbox Bob" };
        var resolve = await app.WikiServer("dewiki").PostAsJsonAsync("/api/v1/wikis/dewiki/resolve", new { cookies = mixed, client = LiveApp.Client }, LiveApp.Json);
        var body = await resolve.Content.ReadFromJsonAsync<JsonElement>(LiveApp.Json);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("session").ValueKind);

        using var staff = new HttpClient { BaseAddress = new Uri(app.BaseUrl) };
        staff.DefaultRequestHeaders.Authorization = new("Bearer", LiveApp.Credentials.Staff.Single(s => s.Role == "developer").Token);
        var sessions = await staff.GetFromJsonAsync<JsonElement>("/api/v1/admin/sessions?wiki=dewiki&user=Sandbox%20Alice", LiveApp.Json);
        var handle = sessions.GetProperty("items")[0].GetProperty("handle").GetString();

        var page = await app.LogInAsync("developer");
        await LiveApp.OpenAsync(page, $"/sessions/{handle}");
        await Expect(page.Locator("#session-state")).Not.ToHaveTextAsync("Active");

        var diff = page.Locator(".metadata-diff").First;
        await Expect(diff).ToContainTextAsync("userName");
        await Expect(diff).ToContainTextAsync("Sandbox Bob");
        await Expect(diff.Locator(".conflict")).Not.ToHaveCountAsync(0);
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("session-diff.png"), FullPage = true });
    }
}
