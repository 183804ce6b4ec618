using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

/// <summary>
/// The live app with its alert rules evaluated twice a second instead of every 15 seconds, so a replay's alert
/// reaches the banner while the test watches. The demo farm stays off: its own local logouts would raise
/// resurrection alerts of their own, and this test shows the one the replay raises.
/// </summary>
public sealed class FastAlertsLiveApp : LiveApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Metrics:AlertInterval", "00:00:00.500");
    }
}

/// <summary>The operations view as a developer sees it while a logout logs a user straight back in (the README's pictures).</summary>
public sealed class OperationsViewTests(FastAlertsLiveApp app) : IClassFixture<FastAlertsLiveApp>
{
    [Fact]
    public async Task The_logout_logs_back_in_replay_raises_the_resurrection_alert_on_the_banner_the_charts_and_the_alerts_page()
    {
        var overview = await app.LogInAsync("developer");
        await Expect(overview.Locator("#operations-charts")).ToBeVisibleAsync(new() { Timeout = LiveApp.UserWait });
        // Nothing has fired yet: the banner the test waits for below is the replay's.
        await Expect(overview.Locator("#alert-banner")).ToHaveCountAsync(0);

        var replays = await overview.Context.NewPageAsync();
        await LiveApp.OpenAsync(replays, "/replays");
        await replays.Locator(".replay-start", new() { HasText = "logout-logs-back-in" }).ClickAsync();
        await Expect(replays.Locator("#replay-started")).ToContainTextAsync("logout-logs-back-in");
        // The verdict names the wiki the user was logged straight back in on.
        var verdict = replays.Locator(".feed-item", new() { HasText = "Replay logout-logs-back-in" });
        await Expect(verdict).ToContainTextAsync("behaved as expected", new() { Timeout = LiveApp.UserWait });
        var wiki = Regex.Match((await verdict.TextContentAsync())!, @"Logging out on (\w+) logged").Groups[1].Value;
        Assert.NotEmpty(wiki);
        // The verdict stays at the top of the replay's page, not only in the feed.
        await Expect(replays.Locator("#replay-result")).ToContainTextAsync("Replay logout-logs-back-in behaved as expected");
        await Expect(replays.Locator("#replay-result")).ToContainTextAsync(wiki);

        await LiveApp.OpenAsync(replays, $"/wikis/{wiki}");
        await Expect(replays.Locator("#wiki-name")).ToHaveTextAsync(wiki);
        var group = (await replays.Locator("#wiki-group").TextContentAsync())!.Trim();
        Assert.Matches("^group[0-9]$", group);

        // The overview was never reloaded: the banner and the charts followed the replay by themselves.
        var banner = overview.Locator("#alert-banner .alert-line", new() { HasText = "resurrections" });
        await Expect(banner).ToContainTextAsync($"resurrections in {group} since", new() { Timeout = LiveApp.UserWait });
        var since = Regex.Match((await banner.TextContentAsync())!, @"since (\d\d:\d\d) UTC").Groups[1].Value;
        Assert.NotEmpty(since);
        await ChooseChartScopeAsync(overview, group);
        await Expect(overview.Locator("#chart-trouble .chart-totals")).ToContainTextAsync(new Regex(@"Resurrections: [1-9][\d,]* in all"), new() { Timeout = LiveApp.UserWait });
        await Expect(overview.Locator("#chart-traffic .chart-totals")).ToContainTextAsync(new Regex(@"Logins: [1-9][\d,]* in all"));
        await overview.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("overview-replay.png"), FullPage = true });

        // The wiki's page lists its group's alert next to the wiki's own charts.
        await Expect(replays.Locator(".alert-list tbody tr", new() { HasText = "resurrections" })).ToContainTextAsync("ongoing", new() { Timeout = LiveApp.UserWait });
        await Expect(replays.Locator("#chart-trouble .chart-totals")).ToContainTextAsync(new Regex(@"Resurrections: [1-9][\d,]* in all"));
        await replays.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("wiki.png"), FullPage = true });

        await LiveApp.OpenAsync(replays, "/alerts");
        var row = replays.Locator(".alert-list tbody tr", new() { HasText = "resurrections" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync(group);
        await Expect(row).ToContainTextAsync(new Regex($@"\d{{4}}-\d\d-\d\d {since}:\d\d"));
        await Expect(row).ToContainTextAsync("ongoing");
        await replays.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("alerts.png"), FullPage = true });
    }

    /// <summary>Shows one deployment group's series on the overview's charts, as the operator picks it from the scope menu.</summary>
    private static async Task ChooseChartScopeAsync(IPage page, string group)
    {
        await page.Locator("#operations-charts .mud-select").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").GetByText(group, new() { Exact = true }).ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }
}
