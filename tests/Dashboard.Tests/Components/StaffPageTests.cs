using Bunit;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Components.Pages.Staff;

namespace WikiSessions.Dashboard.Tests.Components;

public class StaffPageTests : ComponentTest
{
    private IRenderedComponent<StaffPage> Render(out IRenderedComponent<MudDialogProvider> dialogs)
    {
        dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<StaffPage>();
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll(".staff-row").Count));
        return page;
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<StaffPage> page, string name) => page.Find($".staff-row[data-name='{name}']");

    [Fact]
    public void Lists_each_account_with_role_state_last_login_and_live_sessions_and_guards_the_last_steward()
    {
        var page = Render(out _);

        var steward = Row(page, "steward");
        Assert.Contains("steward (last active steward: cannot be demoted or disabled)", steward.TextContent);
        Assert.Contains(" UTC", steward.TextContent);
        Assert.Equal("1", steward.Children[^1].TextContent);
        Assert.True(steward.QuerySelector(".staff-role")!.HasAttribute("disabled"));
        Assert.True(steward.QuerySelector(".staff-disable")!.HasAttribute("disabled"));
        Assert.Contains("none in the last day", Row(page, "support").TextContent);
        Assert.False(Row(page, "developer").QuerySelector(".staff-role")!.HasAttribute("disabled"));
    }

    [Fact]
    public async Task Changing_a_role_shows_what_it_ends_needs_a_reason_and_shows_the_check()
    {
        var page = Render(out var dialogs);

        var click = Row(page, "developer").QuerySelector(".staff-role")!.ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("This ends 0 dashboard sessions of developer", dialogs.Find("#blast-radius").TextContent));
        await dialogs.Find("input#role-steward").ClickAsync(new());
        Assert.True(dialogs.Find("#action-run").HasAttribute("disabled"));
        dialogs.Find("textarea#action-reason").Input("Second steward for the night shift");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("Role of developer changed from developer to steward", dialogs.Find("#action-result").TextContent));
        Assert.Contains("Checked: the change holds", dialogs.Find("#action-check").TextContent);
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        // With two stewards, neither is the last one.
        page.WaitForAssertion(() => Assert.DoesNotContain("last active steward", Row(page, "steward").TextContent));
        var audit = Assert.Single((await FarmQueries.AuditAsync()).Items);
        Assert.Equal(("staff-role", "developer"), (audit.Action, audit.Target));
    }

    [Fact]
    public async Task A_new_account_shows_its_password_and_token_once()
    {
        var page = Render(out var dialogs);

        var click = page.Find("#staff-add").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("input#staff-name"));
        dialogs.Find("input#staff-name").Input("Weekend Support");
        dialogs.Find("textarea#action-reason").Input("New volunteer");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("Shown once", dialogs.Find("#staff-secret").TextContent));
        var password = dialogs.Find("#secret-password").TextContent;
        Assert.Equal(64, dialogs.Find("#secret-token").TextContent.Length);
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        page.WaitForAssertion(() => Assert.Contains("support", Row(page, "Weekend Support").TextContent));
        Assert.DoesNotContain(password, page.Markup);
        Assert.DoesNotContain((await FarmQueries.AuditAsync()).Items, a => a.Detail!.Contains(password));
    }
}
