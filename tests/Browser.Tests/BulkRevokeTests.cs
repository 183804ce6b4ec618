using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

[Collection(LiveAppCollection.Name)]
public class BulkRevokeTests(LiveApp app)
{
    /// <summary>A seeded user no other test logs in, so the filter matches this test's sessions only.</summary>
    private const string User = "George Johnson";

    /// <summary>
    /// Notes in the page whether the progress bar was ever drawn: a job of a few sessions runs its one batch at once,
    /// so the bar may be gone before an expectation looks. Inserted and removed nodes both count.
    /// </summary>
    private const string WatchForProgress = """
        () => {
            window.bulkProgressSeen = false;
            const bar = n => n instanceof Element && (n.id === "bulk-job-progress" || n.querySelector("#bulk-job-progress") !== null);
            new MutationObserver((records, observer) => {
                if (!records.some(r => [...r.addedNodes, ...r.removedNodes].some(bar))) return;
                window.bulkProgressSeen = true;
                observer.disconnect();
            }).observe(document.body, { childList: true, subtree: true });
        }
        """;

    [Fact]
    public async Task A_steward_revokes_the_sessions_a_filter_matches_from_the_explorer_and_the_job_ends_with_a_passed_check()
    {
        for (var i = 0; i < 3; i++) await app.LoginThroughApiAsync("enwiki", User);
        for (var i = 0; i < 2; i++) await app.LoginThroughApiAsync("metawiki", User);
        var page = await app.LogInAsync("steward");
        await LiveApp.OpenAsync(page, "/sessions");
        var states = page.Locator("#sessions-grid tbody tr td:last-child");

        // Enter in a filter field applies the filter.
        await page.Locator("#filter-user").ClickAsync();
        await page.Keyboard.TypeAsync(User);
        await page.Keyboard.PressAsync("Enter");
        await Expect(states).ToHaveTextAsync(["active", "active", "active", "active", "active"]);

        await page.Locator("#bulk-revoke").ClickAsync();
        await Expect(page.Locator("#bulk-filter")).ToHaveTextAsync($"Filter: user {User}");
        await Expect(page.Locator("#bulk-radius")).ToContainTextAsync("Revokes 5 valid sessions that match");
        await Expect(page.Locator("#bulk-counts tbody td")).ToHaveTextAsync(["enwiki", "cookie", "3", "metawiki", "cookie", "2"]);
        await Expect(page.Locator("#bulk-survives")).ToContainTextAsync("auto-login or a remember-me cookie can log their users back in");
        await Expect(page.Locator("#action-confirm")).ToHaveCountAsync(0);
        await Expect(page.Locator("#action-reason")).ToBeFocusedAsync();
        await Expect(page.Locator("#action-run")).ToBeDisabledAsync();
        await page.Keyboard.TypeAsync("Logins from a leaked password list");
        await Expect(page.Locator("#action-run")).ToBeEnabledAsync();
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("bulk-revoke-dialog.png") });

        await page.EvaluateAsync(WatchForProgress);
        await page.Locator("#action-run").ClickAsync();
        await Expect(page.Locator("#bulk-job-check")).ToHaveTextAsync("Checked: nothing the job reached still yields a session, in the store or in memory.");
        Assert.True(await page.EvaluateAsync<bool>("() => window.bulkProgressSeen"), "The job's progress bar never appeared in the page.");
        await Expect(page.Locator("#bulk-job-counts")).ToHaveTextAsync("5 of 5 matching sessions revoked in 1 batch.");
        await Expect(page.Locator("#bulk-job-survives")).ToContainTextAsync("5 central sessions of those browsers are still valid");
        await Expect(page.Locator("#bulk-job-progress")).ToHaveCountAsync(0);
        // The list under the job redraws: none of the filter's sessions is active any more.
        await Expect(states).ToHaveTextAsync(Enumerable.Repeat("Revoked by a steward.", 5).ToArray());
        await Expect(page.Locator("#bulk-revoke")).ToBeFocusedAsync();
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("bulk-revoke-done.png") });
    }
}
