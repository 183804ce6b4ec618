using System.Text.Json;
using Microsoft.Playwright;
using WikiSessions.Testing;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

/// <summary>
/// A test on the real CentralAuth farm. Skipped with the reason on a machine without MediaWiki, PHP or the tarball; in CI
/// (<c>CI</c> set) it runs, and fails saying what is missing.
/// </summary>
public sealed class CentralAuthBrowserFactAttribute : FactAttribute
{
    public CentralAuthBrowserFactAttribute()
    {
        if (CentralAuthFarmScript.Missing is { } missing && !MediaWikiSetup.InCi)
            Skip = MediaWikiSetup.Missing is null ? $"{missing} (CI must have it and runs this test)"
                : $"{missing}; install with: sudo apt-get install -y {MediaWikiSetup.Packages} (CI installs them and runs this test)";
    }
}

/// <summary>
/// Chromium on a real CentralAuth farm laid out as Wikimedia's: a host name per wiki (mapped to 127.0.0.1 by Chromium's
/// host resolver), host-only central cookies, the web login through Special:CentralLogin and CentralAuth's script
/// auto-login on another wiki; then the console shows the user's sessions and central session across the wikis, and
/// the logout trace after a logout. "Logged in" is what each wiki's API says to the browser.
/// </summary>
[Collection(LiveAppCollection.Name)]
public sealed class CentralAuthConsoleTests(LiveApp app) : IAsyncLifetime
{
    private const string Domain = "farm.test";
    private CentralAuthFarmScript? _farm;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (CentralAuthFarmScript.Missing is { } missing)
        {
            if (MediaWikiSetup.InCi) throw new InvalidOperationException($"{missing}. CI must run the CentralAuth browser test.");
            return; // the test is skipped and says why
        }
        _farm = await CentralAuthFarmScript.StartAsync(app.BaseUrl, Domain);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                $"--host-resolver-rules=MAP *.{Domain} 127.0.0.1"],
        });
    }

    [CentralAuthBrowserFact]
    public async Task A_login_on_enwiki_reaches_dewiki_by_auto_login_and_the_console_shows_the_central_session_and_the_logout_trace()
    {
        var farm = _farm!;
        var user = CentralAuthFarmScript.Users[0];
        await using var wikiContext = await _browser!.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new() { Width = 1280, Height = 900 } });
        var wiki = await wikiContext.NewPageAsync();
        try
        {

            // The web login on enwiki: the form, then Special:CentralLogin/start on loginwiki and /complete back on enwiki.
            await wiki.GotoAsync(farm.Server("enwiki") + "/index.php?title=Special:UserLogin&returnto=Main_Page");
            await wiki.Locator("#wpName1").FillAsync(user);
            await wiki.Locator("#wpPassword1").FillAsync(CentralAuthFarmScript.Password);
            await wiki.Locator("#wpLoginAttempt").ClickAsync();
            await wiki.WaitForURLAsync(farm.Server("enwiki") + "/index.php/Main_Page", new() { Timeout = LiveApp.UserWait, WaitUntil = WaitUntilState.Commit });
            Assert.Equal(user, await UserOnAsync(wiki, "enwiki"));
            Assert.Equal(user, await UserOnAsync(wiki, "loginwiki"));

            // dewiki has none of the browser's cookies (they are host-only): CentralAuth's script logs it in from loginwiki.
            // Its last step, once dewiki's cookies are set, fetches dewiki's personal tools for the page.
            var autoLogin = wiki.WaitForResponseAsync(r => r.Url.Contains("Special:CentralAutoLogin/toolslist"), new() { Timeout = 120_000 });
            await wiki.GotoAsync(farm.Server("dewiki") + "/index.php/Main_Page");
            await autoLogin;
            Assert.Equal(user, await UserOnAsync(wiki, "dewiki"));

            // The console: the user's sessions on each wiki, and the central session they log in through.
            await using var consoleContext = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseUrl, ViewportSize = new() { Width = 1440, Height = 900 } });
            var console = await app.LogInAsync("steward", consoleContext);
            await LiveApp.OpenAsync(console, $"/users/{Uri.EscapeDataString(user)}");
            await Expect(console.Locator(".session-list")).ToContainTextAsync("dewiki");
            await Expect(console.Locator(".session-list")).ToContainTextAsync("enwiki");
            await Expect(console.Locator("#central-sessions .linked-session", new() { HasText = "enwiki" }).First).ToBeVisibleAsync();
            await Expect(console.Locator("#central-sessions .linked-session", new() { HasText = "dewiki" }).First).ToBeVisibleAsync();
            await console.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("centralauth-user.png"), FullPage = true });

            // A logout on dewiki, as its "Log out" link does it (a POST of action=logout with the CSRF token).
            await wiki.GotoAsync(farm.Server("dewiki") + "/index.php/Main_Page");
            var status = await wiki.EvaluateAsync<int>("""
                async () => {
                    const token = (await (await fetch('/api.php?action=query&meta=tokens&format=json')).json()).query.tokens.csrftoken;
                    return (await fetch('/api.php', { method: 'POST', body: new URLSearchParams({ action: 'logout', format: 'json', token }) })).status;
                }
                """);
            Assert.Equal(200, status);
            foreach (var db in new[] { "dewiki", "enwiki", "loginwiki" })
                Assert.Null(await UserOnAsync(wiki, db));

            // The console: one logout trace, what was observed on dewiki and inferred on the other wikis.
            await LiveApp.OpenAsync(console, $"/users/{Uri.EscapeDataString(user)}");
            await Expect(console.Locator("#central-none")).ToBeVisibleAsync();
            await console.Locator("#central-ended a.central-trace").First.ClickAsync();
            await Expect(console.Locator("#trace-steps")).ToContainTextAsync("Observed: MediaWiki deleted session");
            await Expect(console.Locator("#trace-steps")).ToContainTextAsync("Inferred:");
            await Expect(console.Locator("#trace-steps")).ToContainTextAsync("enwiki");
            await console.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("centralauth-trace.png"), FullPage = true });
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}\n\nThe wiki page at {wiki.Url}:\n{await TextAsync(wiki)}\n\n" +
                $"scripts/centralauth-farm.sh printed:\n{farm.Output}");
        }
    }

    private static async Task<string> TextAsync(IPage page)
    {
        try
        {
            var text = await page.InnerTextAsync("body", new() { Timeout = 5_000 });
            return text[..Math.Min(3_000, text.Length)];
        }
        catch (Exception e) { return $"(unreadable: {e.Message})"; }
    }

    /// <summary>Who the wiki says the browser is (<c>meta=userinfo</c>, asked by the browser itself), or null when anonymous.</summary>
    private async Task<string?> UserOnAsync(IPage page, string db)
    {
        var response = await page.GotoAsync(_farm!.Server(db) + "/api.php?action=query&meta=userinfo&format=json&formatversion=2");
        var info = JsonDocument.Parse(await response!.TextAsync()).RootElement.GetProperty("query").GetProperty("userinfo");
        return info.TryGetProperty("anon", out var anon) && anon.GetBoolean() ? null : info.GetProperty("name").GetString();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_farm is not null) await _farm.DisposeAsync();
    }
}
