using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WikiSessions.Core.Admin;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

[Collection(LiveAppCollection.Name)]
public class ReasonTypingTests(LiveApp app)
{
    /// <summary>
    /// A steward who clicks and starts typing at once types before the dialog, and its reason field, reach the
    /// browser: those keys used to land on the button and the audit kept the cut reason.
    /// </summary>
    [Fact]
    public async Task A_reason_typed_right_after_the_click_reaches_the_audit_whole()
    {
        await app.LoginThroughApiAsync("enwiki", "Sandbox Bob");
        var page = await app.LogInAsync("steward");
        await LiveApp.OpenAsync(page, "/users/Sandbox%20Bob");
        await Expect(page.Locator(".session-list tbody tr")).Not.ToHaveCountAsync(0);

        const string reason = "Reported stolen laptop";
        await page.Locator("#invalidate-user").ClickAsync();
        await page.Keyboard.TypeAsync(reason);

        await Expect(page.Locator("#action-reason")).ToHaveValueAsync(reason);
        await Expect(page.Locator("#action-run")).ToBeEnabledAsync();
        await page.Locator("#action-run").ClickAsync();
        await Expect(page.Locator("#action-check")).ToContainTextAsync("nothing the action reached still yields a session");

        var audit = await app.Services.GetRequiredService<FarmQueries>().AuditAsync();
        Assert.Equal(reason, audit.Items.First(a => a.Target == "Sandbox Bob").Reason);
    }
}
