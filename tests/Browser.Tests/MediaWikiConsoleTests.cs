using Microsoft.Playwright;
using WikiSessions.Testing;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

/// <summary>The console on real sessions: a stock MediaWiki keeps its sessions in the app, and stewards see them.</summary>
[Collection(LiveAppCollection.Name)]
public sealed class MediaWikiConsoleTests(LiveApp app) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("wikisessions-browser-mw-").FullName;
    private MediaWikiInstance? _wiki;

    public async Task InitializeAsync()
    {
        if (MediaWikiSetup.Missing is { } missing)
        {
            if (MediaWikiSetup.InCi) throw new InvalidOperationException($"{missing}. CI must run this test: tests/run.sh installs {MediaWikiSetup.Packages} as root.");
            return;
        }
        _wiki = await MediaWikiInstance.InstallAsync("testwiki", _folder, LiveApp.Credentials.WikiKeys["testwiki"], new Uri(app.BaseUrl + "/sessions/v1/"), hmacKey: null);
    }

    [Fact]
    public async Task A_steward_sees_the_real_MediaWiki_sessions_of_a_wiki_and_what_the_console_cannot_see()
    {
        if (_wiki is null) return; // MediaWiki is not installed here, and this is not CI: nothing to show
        var users = MediaWikiSetup.Users.Take(3).ToList();
        foreach (var user in users)
        {
            using var browser = new WikiBrowser(_wiki);
            await browser.LoginAsync(user, rememberMe: user == users[0]);
            Assert.Equal(user, await browser.UserAsync());
        }

        var page = await app.LogInAsync("steward");
        await LiveApp.OpenAsync(page, "/sessions?wiki=testwiki");
        foreach (var user in users)
            await Expect(page.Locator("#sessions-grid")).ToContainTextAsync(user);
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("mediawiki-sessions.png"), FullPage = true });

        await page.Locator("#sessions-grid a.mono").First.ClickAsync();
        await Expect(page.Locator("#provider-explanation")).ToContainTextAsync("MediaWiki keeps this session in the store");
        await Expect(page.Locator("body")).Not.ToContainTextAsync("wsToken");
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("mediawiki-session.png"), FullPage = true });
    }

    public Task DisposeAsync()
    {
        _wiki?.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
