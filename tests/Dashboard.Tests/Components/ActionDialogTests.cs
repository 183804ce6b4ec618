using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Staff;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Actions;
using WikiSessions.Dashboard.Components.Pages.Actions;
using WikiSessions.Dashboard.Components.Pages.Users;

namespace WikiSessions.Dashboard.Tests.Components;

public class ActionDialogTests : ComponentTest
{
    [Fact]
    public async Task Revoke_shows_the_session_first_needs_a_reason_then_shows_the_result_and_the_check()
    {
        await LoginAsync(Alice, "enwiki");
        var handle = await HandleOfAsync(Alice);
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => page.Find(".revoke-session"));

        var click = page.Find(".revoke-session").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("1 cookie session on enwiki of Sandbox Alice", dialogs.Find("#blast-radius").TextContent));
        Assert.True(dialogs.Find("#action-run").HasAttribute("disabled"));

        dialogs.Find("textarea#action-reason").Input("Reported stolen laptop");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("1 session ended", dialogs.Find("#action-result").TextContent));
        dialogs.WaitForAssertion(() => Assert.Contains("nothing the action reached still yields a session", dialogs.Find("#action-check").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        Assert.Empty((await UserQueries.UserAsync(Alice)).ActiveSessions);
        var audit = Assert.Single((await FarmQueries.AuditAsync()).Items);
        Assert.Equal("Reported stolen laptop", audit.Reason);
        page.WaitForAssertion(() => Assert.Empty(page.FindAll(".session-list tbody tr")));
    }

    [Fact]
    public async Task An_action_from_a_tab_whose_staff_login_ended_in_another_tab_is_refused_changes_nothing_and_goes_to_the_login_page()
    {
        await LoginAsync(Alice, "enwiki");
        var snackbar = Ctx.Render<MudSnackbarProvider>();
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => page.Find(".revoke-session"));
        var click = page.Find(".revoke-session").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#blast-radius"));
        dialogs.Find("textarea#action-reason").Input("Reported stolen laptop");

        // The steward logs out in another tab; this circuit still holds the login it was opened with.
        await Ctx.Services.GetRequiredService<StaffSessions>().EndAsync(StaffSessionToken);
        await dialogs.Find("#action-run").ClickAsync(new());

        snackbar.WaitForAssertion(() => Assert.Contains("staff login has ended", snackbar.Markup));
        Assert.Empty(dialogs.FindAll("#action-result"));
        Assert.Single((await UserQueries.UserAsync(Alice)).ActiveSessions);
        Assert.Empty((await FarmQueries.AuditAsync()).Items);
        Assert.StartsWith("http://localhost/login?returnUrl=", Ctx.Services.GetRequiredService<NavigationManager>().Uri);
        // Leaving for the login page closes the dialog.
        await click;
    }

    [Fact]
    public async Task The_browser_scope_shows_what_else_it_reaches_before_the_steward_runs_it()
    {
        var login = await LoginAsync(Alice, "enwiki");
        var central = login.SetCookies.Where(c => c.Host == CentralHost && c.Value != "").ToDictionary(c => c.Name, c => c.Value);
        await ResolveAsync("dewiki", new Dictionary<string, string>(), central);
        var handle = (await UserQueries.UserAsync(Alice)).ActiveSessions.Single(s => s.Wiki == "enwiki").Handle;
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".revoke-session").Count));

        var click = page.FindAll(".revoke-session").First(b => b.ParentElement!.ParentElement!.TextContent.Contains(handle)).ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("1 central session, 1 other session linked to it on 1 wiki, and 0 remember-me tokens",
            dialogs.Find("#revoke-scope").TextContent));
        await dialogs.Find("#action-cancel").ClickAsync(new());
        await click;
    }

    [Fact]
    public async Task The_browser_scope_of_an_OAuth_session_says_it_ends_the_tools_authorization_and_leaves_the_grant()
    {
        var tool = await Sessions.LoginAsync(new LoginRequest("enwiki", Alice, ProviderKind.OAuth, false, null, "SandboxTool", Browser));
        await Sessions.ResolveAsync(new ResolveRequest("dewiki", new Dictionary<string, string>(), null, tool.Authorization, Browser));
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".revoke-session").Count));

        var click = page.FindAll(".revoke-session")[0].ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("The tool's OAuth authorization: this session and 1 other session it made on 1 other wiki",
            dialogs.Find("#revoke-scope").TextContent));
        Assert.Contains("The grant survives", dialogs.Find("#revoke-scope").TextContent);
        Assert.Contains("gets a new session on its next request", dialogs.Find("#revoke-scope").TextContent);
        await dialogs.Find("#action-cancel").ClickAsync(new());
        await click;
    }

    [Fact]
    public async Task A_session_scope_revoke_says_plainly_that_the_central_session_can_log_the_user_back_in()
    {
        await LoginAsync(Alice, "enwiki");
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => page.Find(".revoke-session"));

        var click = page.Find(".revoke-session").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#blast-radius"));
        Assert.True(dialogs.Find("input#scope-browser").HasAttribute("checked"));
        await dialogs.Find("input#scope-session").ClickAsync(new());
        dialogs.Find("textarea#action-reason").Input("Only the shared computer's tab");
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("central session is still valid", dialogs.Find("#action-survives").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
    }

    [Fact]
    public async Task Prevent_shows_the_blast_radius_and_runs_only_once_the_user_name_is_typed_again()
    {
        await LoginAsync(Bob, "enwiki");
        await LoginAsync(Bob, "frwiki");
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Bob));
        page.WaitForAssertion(() => page.Find("#prevent-user"));

        var click = page.Find("#prevent-user").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("2 active sessions on 2 wikis", dialogs.Find("#blast-radius").TextContent));
        Assert.Contains("it revokes 1 bot password and 1 OAuth grant", dialogs.Find("#blast-radius").TextContent);
        Assert.Contains("cannot be undone", dialogs.Find("#blast-radius").TextContent);

        dialogs.Find("textarea#action-reason").Input("Compromised account");
        dialogs.Find("input#action-confirm").Input("Sandbox Bo");
        dialogs.WaitForAssertion(() => Assert.True(dialogs.Find("#action-run").HasAttribute("disabled")));
        dialogs.Find("input#action-confirm").Input(Bob);
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("2 sessions ended", dialogs.Find("#action-result").TextContent));
        dialogs.WaitForAssertion(() => Assert.Contains("nothing the action reached still yields a session", dialogs.Find("#action-check").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
        Assert.True((await UserQueries.UserAsync(Bob)).Prevented);
        page.WaitForAssertion(() => page.Find("#user-prevented"));
    }

    [Fact]
    public async Task Lock_says_what_it_ends_and_keeps_and_unlock_puts_the_lock_button_back()
    {
        await LoginAsync(Bob, "enwiki");
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Bob));
        page.WaitForAssertion(() => page.Find("#lock-user"));

        var click = page.Find("#lock-user").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("1 active session on 1 wiki", dialogs.Find("#blast-radius").TextContent));
        Assert.Contains("1 bot password and 1 OAuth grant are kept and refused meanwhile", dialogs.Find("#blast-radius").TextContent);
        Assert.Empty(dialogs.FindAll("#action-confirm"));
        dialogs.Find("textarea#action-reason").Input("Looking into it");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("1 session ended", dialogs.Find("#action-result").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
        page.WaitForAssertion(() => page.Find("#user-locked"));
        Assert.Empty(page.FindAll("#user-prevented"));
        Assert.False(page.Find("#prevent-user").HasAttribute("disabled"));

        click = page.Find("#unlock-user").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("Nothing the lock ended comes back", dialogs.Find("#blast-radius").TextContent));
        dialogs.Find("textarea#action-reason").Input("Cleared");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#action-result"));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
        page.WaitForAssertion(() => page.Find("#lock-user"));
        Assert.Empty(page.FindAll("#user-locked"));
    }

    [Fact]
    public async Task Invalidate_user_ends_every_session_and_checks_nothing_resolves()
    {
        await LoginAsync(Carol, "enwiki");
        await LoginAsync(Carol, "dewiki");
        var dialogs = Ctx.Render<MudDialogProvider>();
        var page = Ctx.Render<ActionsPage>();
        page.Find("input#actions-user").Input(Carol);

        var click = page.Find("#actions-invalidate").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("2 active sessions", dialogs.Find("#blast-radius").TextContent));
        Assert.Empty(dialogs.FindAll("#action-confirm"));
        dialogs.Find("textarea#action-reason").Input("User asked");
        await dialogs.Find("#action-run").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("nothing the action reached still yields a session", dialogs.Find("#action-check").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
    }

    [Fact]
    public async Task Invalidate_everyone_needs_the_word_shown_and_ends_every_session_of_the_farm()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Bob, "dewiki");
        var dialogs = Ctx.Render<MudDialogProvider>();
        var page = Ctx.Render<ActionsPage>();

        var click = page.Find("#actions-everyone").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("2 open sessions in the current epoch on 2 wikis", dialogs.Find("#blast-radius").TextContent));
        dialogs.Find("textarea#action-reason").Input("Incident 42");
        Assert.True(dialogs.Find("#action-run").HasAttribute("disabled"));
        dialogs.Find("input#action-confirm").Input(ActionDialog.EveryoneWord);
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("2 sessions ended", dialogs.Find("#action-result").TextContent));
        dialogs.WaitForAssertion(() => Assert.Contains("nothing the action reached still yields a session", dialogs.Find("#action-check").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
        Assert.Equal(0, (await FarmQueries.FarmBlastRadiusAsync()).ActiveSessions);
    }

    [Fact]
    public async Task A_refused_action_is_explained_in_a_snackbar_and_the_dialog_stays_open()
    {
        await LoginAsync(Alice, "enwiki");
        var handle = await HandleOfAsync(Alice);
        var dialogs = Ctx.Render<MudDialogProvider>();
        var snackbars = Ctx.Render<MudSnackbarProvider>();
        var service = Ctx.Services.GetService(typeof(IDialogService)) as IDialogService;
        var opened = service!.ShowActionAsync(AdminActionKind.RevokeSession, Alice, handle);
        dialogs.WaitForAssertion(() => dialogs.Find("#blast-radius"));
        await Admin.RevokeSessionAsync(new StaffActor("other-steward", Core.Domain.StaffRole.Steward), handle, "first"); // someone else was faster

        dialogs.Find("textarea#action-reason").Input("second");
        await dialogs.Find("#action-run").ClickAsync(new());

        snackbars.WaitForAssertion(() => Assert.Contains("already ended", snackbars.Markup));
        Assert.NotEmpty(dialogs.FindAll("#action-run"));
        await dialogs.Find("#action-cancel").ClickAsync(new());
        Assert.False(await opened);
    }
}
