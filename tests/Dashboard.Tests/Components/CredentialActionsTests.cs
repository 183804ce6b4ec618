using Bunit;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Users;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>Bot passwords and OAuth grants on the user page, and what the invalidate dialog says of them.</summary>
public class CredentialActionsTests : ComponentTest
{
    private Task<LoginResult> BotLoginAsync(string user) =>
        Sessions.LoginAsync(new LoginRequest("commonswiki", user, ProviderKind.BotPassword, false, "sandboxbot", null, Browser));

    private Task<LoginResult> ToolLoginAsync(string user) =>
        Sessions.LoginAsync(new LoginRequest("enwiki", user, ProviderKind.OAuth, false, null, "SandboxTool", Browser));

    private IRenderedComponent<UserPage> Page(string user, out IRenderedComponent<MudDialogProvider> dialogs)
    {
        dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, user));
        page.WaitForAssertion(() => page.Find("#bot-passwords"));
        return page;
    }

    [Fact]
    public async Task A_steward_revokes_a_bot_password_from_its_row_after_seeing_what_it_ends()
    {
        await BotLoginAsync(Alice);
        await LoginAsync(Alice, "enwiki");
        var page = Page(Alice, out var dialogs);

        var click = page.Find(".revoke-bot-password").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("1 active session on 1 wiki made with the bot password sandboxbot of Sandbox Alice; it can no longer log in.",
            dialogs.Find("#blast-radius").TextContent));
        dialogs.Find("textarea#action-reason").Input("Bot password posted on a talk page");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("1 session ended", dialogs.Find("#action-result").TextContent));
        Assert.Contains("nothing the action reached still yields a session", dialogs.Find("#action-check").TextContent);
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        page.WaitForAssertion(() => Assert.Contains("revoked", page.Find("#bot-passwords tbody tr").TextContent));
        Assert.Empty(page.FindAll(".revoke-bot-password"));
        Assert.Single((await UserQueries.UserAsync(Alice)).ActiveSessions);
        Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(() => BotLoginAsync(Alice))).Failure);
    }

    [Fact]
    public async Task A_steward_revokes_an_OAuth_grant_from_its_row()
    {
        await ToolLoginAsync(Bob);
        var page = Page(Bob, out var dialogs);

        var click = page.Find(".revoke-grant").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("made with the OAuth grant of SandboxTool", dialogs.Find("#blast-radius").TextContent));
        dialogs.Find("textarea#action-reason").Input("Tool compromised");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("1 session ended", dialogs.Find("#action-result").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(() => ToolLoginAsync(Bob))).Failure);
    }

    [Theory]
    [InlineData("support")]
    [InlineData("developer")]
    public async Task Other_staff_see_no_revoke_buttons(string role)
    {
        await SignInAsync(role);
        var page = Page(Alice, out _);
        Assert.Empty(page.FindAll(".revoke-bot-password"));
        Assert.Empty(page.FindAll(".revoke-grant"));
    }

    [Fact]
    public async Task The_invalidate_dialog_names_the_credentials_that_survive_and_they_do()
    {
        await BotLoginAsync(Carol);
        var page = Page(Carol, out var dialogs);

        var click = page.Find("#invalidate-user").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#action-survives-before"));
        Assert.DoesNotContain("bot password", dialogs.Find("#blast-radius").TextContent);
        Assert.Contains("The bot password sandboxbot can log the bot straight back in.", dialogs.Find("#action-survives-before").TextContent);
        Assert.Contains("The OAuth grant of SandboxTool can log the tool straight back in.", dialogs.Find("#action-survives-before").TextContent);
        dialogs.Find("textarea#action-reason").Input("User asked");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#action-result"));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        // What the dialog said survives does: the engine resets the user token, not the credentials.
        Assert.NotNull((await BotLoginAsync(Carol)).Session);
        Assert.NotNull((await ToolLoginAsync(Carol)).Session);
    }
}
