using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

/// <summary>The console at the widths stewards use (1440 and 1024 px), with the mouse and with the keyboard alone.</summary>
[Collection(LiveAppCollection.Name)]
public class LayoutAndKeyboardTests(LiveApp app)
{
    [Fact]
    public async Task At_1440_px_the_overviews_counts_and_the_users_revoke_buttons_are_in_view_without_scrolling()
    {
        await app.LoginThroughApiAsync("enwiki", "Sandbox Alice");
        var page = await app.LogInAsync("steward");
        var grid = page.Locator("#wiki-grid");
        await Expect(grid.Locator("tbody tr").First).ToBeVisibleAsync();

        foreach (var column in new[] { "Active", "Anonymous", "By provider" })
        {
            var header = grid.Locator("th", new() { HasText = column }).First;
            var box = (await header.BoundingBoxAsync())!;
            Assert.True(box.X + box.Width <= 1440, $"The {column} column ends at {box.X + box.Width} px, past the 1440 px window.");
        }
        Assert.True(await NoSideScrollAsync(grid), "The wikis' table scrolls sideways at 1440 px.");

        await LiveApp.OpenAsync(page, "/users/Sandbox%20Alice");
        var list = page.Locator(".session-list");
        var revoke = list.Locator(".revoke-session").First;
        await Expect(revoke).ToBeVisibleAsync();
        var button = (await revoke.BoundingBoxAsync())!;
        var table = (await list.BoundingBoxAsync())!;
        Assert.True(button.X >= table.X && button.X + button.Width <= table.X + table.Width, "The Revoke button is clipped by its table.");
        Assert.True(await NoSideScrollAsync(list), "The session list scrolls sideways at 1440 px.");
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("user-1440.png"), FullPage = true });
    }

    [Fact]
    public async Task At_1024_px_the_audit_logs_detail_is_readable()
    {
        await app.LoginThroughApiAsync("dewiki", "Sandbox Carol");
        await app.Services.GetRequiredService<AdminService>()
            .InvalidateUserAsync(new StaffActor("steward", StaffRole.Steward), "Sandbox Carol", "Layout check of the audit log");
        var context = await app.Browser.NewContextAsync(new() { BaseURL = app.BaseUrl, ViewportSize = new() { Width = 1024, Height = 768 } });
        var page = await app.LogInAsync("steward", context);
        await LiveApp.OpenAsync(page, "/audit");

        var detail = page.Locator("#audit-grid .audit-detail").First;
        await Expect(detail).Not.ToBeEmptyAsync();
        var box = (await detail.BoundingBoxAsync())!;
        Assert.True(box.Width >= 240, $"The detail is {box.Width} px wide at 1024 px.");
        Assert.True(box.X + box.Width <= 1024, "The detail runs past the window.");
        await page.ScreenshotAsync(new() { Path = LiveApp.ScreenshotPath("audit-1024.png"), FullPage = true });

        // The user's sessions fit too, their Revoke buttons first and whole.
        await app.LoginThroughApiAsync("dewiki", "Sandbox Carol");
        await LiveApp.OpenAsync(page, "/users/Sandbox%20Carol");
        var list = page.Locator(".session-list");
        var revoke = list.Locator(".revoke-session").First;
        await Expect(revoke).ToBeVisibleAsync();
        var button = (await revoke.BoundingBoxAsync())!;
        Assert.True(button.X + button.Width <= 1024, "The Revoke button runs past the window at 1024 px.");
        Assert.True(await NoSideScrollAsync(list), "The session list scrolls sideways at 1024 px.");
    }

    [Fact]
    public async Task From_the_keyboard_the_menu_comes_first_focus_is_plain_to_see_and_returns_to_the_button_after_a_dialog()
    {
        await app.LoginThroughApiAsync("frwiki", "Sandbox Bob");
        var page = await app.LogInAsync("steward");
        await LiveApp.OpenAsync(page, "/users/Sandbox%20Bob");
        await Expect(page.Locator(".session-list tbody tr")).Not.ToHaveCountAsync(0);

        // From the top of a freshly opened page, Users is a few Tabs away, before any of the page's content.
        var tabs = 0;
        while (tabs < 40 && await page.EvaluateAsync<string>("() => document.activeElement?.textContent?.trim() ?? ''") != "Users")
        {
            await page.Keyboard.PressAsync("Tab");
            tabs++;
        }
        Assert.InRange(tabs, 1, 8);
        var outline = await page.EvaluateAsync<double>("() => parseFloat(getComputedStyle(document.activeElement).outlineWidth)");
        Assert.True(outline >= 2, $"The focus ring is {outline} px.");

        // The skip link, the first Tab, takes the keyboard into the content.
        await LiveApp.OpenAsync(page, "/users/Sandbox%20Bob");
        await Expect(page.Locator(".session-list tbody tr")).Not.ToHaveCountAsync(0);
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.Locator("#skip-link")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#main-content")).ToBeFocusedAsync();
        Assert.EndsWith("/users/Sandbox%20Bob", page.Url);

        // After a dialog, closed or done, focus is back on the button that opened it, not on the page body.
        await page.Locator("#invalidate-user").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#action-reason")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#action-reason")).ToHaveCountAsync(0);
        await Expect(page.Locator("#invalidate-user")).ToBeFocusedAsync();

        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#action-reason")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("Keyboard walk");
        await Expect(page.Locator("#action-run")).ToBeEnabledAsync();
        await page.Locator("#action-run").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#action-close")).ToBeVisibleAsync();
        await page.Locator("#action-close").FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".session-list tbody tr")).ToHaveCountAsync(0);
        await Expect(page.Locator("#invalidate-user")).ToBeFocusedAsync();
    }

    private static Task<bool> NoSideScrollAsync(ILocator container) =>
        container.EvaluateAsync<bool>("e => [...e.querySelectorAll('.mud-table-container')].every(x => x.scrollWidth <= x.clientWidth + 1)");
}
