using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WikiSessions.Dashboard.Components.Pages.Sessions;
using WikiSessions.Dashboard.Components.Pages.Users;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>The console from the keyboard: where focus lands in a dialog, and filters that Enter applies and the URL keeps.</summary>
public class KeyboardTests : ComponentTest
{
    [Theory]
    [InlineData("#invalidate-user")]
    [InlineData("#secure-account")]
    public async Task A_dialogs_focus_lands_on_the_reason_field(string button)
    {
        await LoginAsync(Alice, "enwiki");
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => page.Find(button));

        var click = page.Find(button).ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("textarea#action-reason"));

        // MudBlazor focuses through JS after the first render: the call must name the reason field's element.
        var reason = dialogs.Find("textarea#action-reason");
        var focused = Ctx.JSInterop.Invocations.Where(i => i.Identifier.Contains("focus", StringComparison.OrdinalIgnoreCase))
            .SelectMany(i => i.Arguments).OfType<ElementReference>().Select(e => e.Id).ToList();
        Assert.True(focused.Contains(reason.GetAttribute("blazor:elementReference") ?? "none"),
            $"focused [{string.Join(", ", focused)}], reason field {reason.OuterHtml}; calls: {string.Join(", ", Ctx.JSInterop.Invocations.Select(i => i.Identifier))}");
        await dialogs.Find("#action-cancel").ClickAsync(new());
        await click;
    }

    [Fact]
    public async Task Submitting_the_filters_applies_them_and_the_URL_keeps_them()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Bob, "dewiki");
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<SessionsExplorer>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("#sessions-grid tbody tr").Count));

        cut.Find("input#filter-user").Change(Alice);
        // What Enter in a field does in a browser: it submits the form the fields are in.
        await cut.Find("form#session-filters").SubmitAsync();

        cut.WaitForAssertion(() => Assert.Contains(Alice, Assert.Single(cut.FindAll("#sessions-grid tbody tr")).TextContent));
        Assert.EndsWith("/sessions?user=Sandbox%20Alice", Ctx.Services.GetRequiredService<NavigationManager>().Uri);
    }

    [Fact]
    public async Task A_link_with_a_filter_opens_the_list_filtered()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Bob, "dewiki");
        Ctx.Render<MudPopoverProvider>();
        Ctx.Services.GetRequiredService<NavigationManager>().NavigateTo("/sessions?user=Sandbox%20Bob&provider=cookie&active=true");

        var cut = Ctx.Render<SessionsExplorer>();

        cut.WaitForAssertion(() => Assert.Contains(Bob, Assert.Single(cut.FindAll("#sessions-grid tbody tr")).TextContent));
        Assert.Equal(Bob, cut.Find("input#filter-user").GetAttribute("value"));
        Assert.Equal("/api/v1/admin/sessions.csv?user=Sandbox%20Bob&provider=cookie&active=true", cut.Find("#export-csv").GetAttribute("href"));
    }
}
