using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

[Collection(LiveAppCollection.Name)]
public class SecureAccountTests(LiveApp app)
{
    [Fact]
    public async Task A_steward_secures_a_compromised_account_from_the_keyboard_and_mouse_and_sees_what_survives()
    {
        await app.LoginThroughApiAsync("enwiki", "Sandbox Carol");
        var page = await app.LogInAsync("steward");
        await LiveApp.OpenAsync(page, "/users/Sandbox%20Carol");
        await Expect(page.Locator(".session-list tbody tr")).Not.ToHaveCountAsync(0);

        // Esc closes the dialog and changes nothing.
        await page.Locator("#secure-account").ClickAsync();
        await Expect(page.Locator("#blast-radius")).ToContainTextAsync("active session");
        await Expect(page.Locator("#action-reason")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#blast-radius")).ToHaveCountAsync(0);

        await page.Locator("#secure-account").ClickAsync();
        await Expect(page.Locator("#action-reason")).ToBeFocusedAsync();
        await page.Locator(".tick-grant input").UncheckAsync();
        await Expect(page.Locator("#secure-survives-before")).ToContainTextAsync("Unticked OAuth grants (SandboxTool)");
        await page.Keyboard.InsertTextAsync("Password found in a public paste");
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("secure-account-dialog.png") });
        await page.Locator("#action-run").ClickAsync();

        await Expect(page.Locator("#action-check")).ToContainTextAsync("nothing the action reached still yields a session", new() { Timeout = LiveApp.UserWait });
        await Expect(page.Locator("#action-result")).ToContainTextAsync("bot passwords revoked: sandboxbot; OAuth grants revoked: none");
        await Expect(page.Locator("#action-survives")).ToContainTextAsync("OAuth grant of SandboxTool was left unticked");
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("secure-account-result.png") });
        await page.Locator("#action-close").ClickAsync();
        await Expect(page.Locator(".session-list tbody tr")).ToHaveCountAsync(0);
        await Expect(page.Locator("#bot-passwords")).ToContainTextAsync("revoked");
    }
}
