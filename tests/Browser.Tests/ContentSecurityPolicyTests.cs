using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace WikiSessions.Browser.Tests;

/// <summary>The dashboard works under its content security policy: no page, dialog or live update trips it.</summary>
[Collection(LiveAppCollection.Name)]
public class ContentSecurityPolicyTests(LiveApp app)
{
    private const string RecordViolations = """
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', e =>
            window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
        """;

    [Fact]
    public async Task The_main_pages_a_dialog_and_the_live_feed_run_without_a_policy_violation()
    {
        await app.LoginThroughApiAsync("itwiki", "Sandbox Alice");
        var context = await app.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = app.BaseUrl, ViewportSize = new() { Width = 1440, Height = 900 } });
        await context.AddInitScriptAsync(RecordViolations);
        var console = new List<string>();
        context.Console += (_, message) => { lock (console) if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) console.Add(message.Text); };
        var violations = new List<string>();

        var page = await app.LogInAsync("steward", context);
        violations.AddRange(await page.EvaluateAsync<string[]>("window.__cspViolations"));
        foreach (var path in new[] { "/sessions", "/traces", "/audit", "/actions", "/replays", "/users" })
        {
            await LiveApp.OpenAsync(page, path);
            violations.AddRange((await page.EvaluateAsync<string[]>("window.__cspViolations")).Select(v => $"{path}: {v}"));
        }

        await LiveApp.OpenAsync(page, "/users/Sandbox%20Alice");
        await Expect(page.Locator("#user-name")).ToHaveTextAsync("Sandbox Alice");
        await page.Locator(".revoke-session").First.ClickAsync();
        await Expect(page.Locator("#blast-radius")).ToBeVisibleAsync();
        await page.Locator("#action-cancel").ClickAsync();

        // A second tab on the overview hears a login through the live feed (the hub's WebSocket is same-origin).
        var overview = await context.NewPageAsync();
        await LiveApp.OpenAsync(overview, "/");
        await app.LoginThroughApiAsync("itwiki", "Sandbox Bob");
        await Expect(overview.Locator("#live-feed")).ToContainTextAsync("Sandbox Bob", new() { Timeout = LiveApp.UserWait });

        // A canary: an image from another site must be blocked and recorded, or this test could not see a violation at all.
        await overview.EvaluateAsync("document.body.insertAdjacentHTML('beforeend', '<img id=\"csp-canary\" src=\"http://example.invalid/canary.png\">')");
        await overview.WaitForFunctionAsync("window.__cspViolations.some(v => v.includes('canary'))");
        await overview.EvaluateAsync("window.__cspViolations = window.__cspViolations.filter(v => !v.includes('canary'))");
        lock (console) console.RemoveAll(m => m.Contains("canary"));

        violations.AddRange((await page.EvaluateAsync<string[]>("window.__cspViolations")).Select(v => $"user page: {v}"));
        violations.AddRange((await overview.EvaluateAsync<string[]>("window.__cspViolations")).Select(v => $"overview: {v}"));
        lock (console) violations.AddRange(console);
        Assert.True(violations.Count == 0, string.Join("\n", violations));
        await context.CloseAsync();
    }
}
