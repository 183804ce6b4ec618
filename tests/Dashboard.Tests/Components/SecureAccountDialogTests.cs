using Bunit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Users;

namespace WikiSessions.Dashboard.Tests.Components;

public class SecureAccountDialogTests : ComponentTest
{
    private async Task<(IRenderedComponent<MudDialogProvider> Dialogs, Task Click)> OpenAsync(string user)
    {
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, user));
        page.WaitForAssertion(() => page.Find("#secure-account"));
        var click = page.Find("#secure-account").ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#blast-radius"));
        return (dialogs, click);
    }

    [Fact]
    public async Task Shows_what_it_ends_and_what_survives_first_then_the_effects_the_check_and_what_survived()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Alice, "dewiki");
        var (dialogs, click) = await OpenAsync(Alice);

        Assert.Contains("2 active sessions on 2 wikis", dialogs.Find("#blast-radius").TextContent);
        Assert.Equal(2, dialogs.FindAll(".tick-bot input, .tick-grant input").Count(i => i.HasAttribute("checked")) );
        Assert.True(dialogs.Find("#action-run").HasAttribute("disabled"));
        Assert.DoesNotContain("Unticked", dialogs.Find("#secure-survives-before").TextContent);

        await dialogs.Find(".tick-grant input").ChangeAsync(new() { Value = false });
        dialogs.WaitForAssertion(() => Assert.Contains("Unticked OAuth grants (SandboxTool) can log the tool in again.", dialogs.Find("#secure-survives-before").TextContent));
        dialogs.Find("textarea#action-reason").Input("Password in a public paste");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("bot passwords revoked: sandboxbot; OAuth grants revoked: none", dialogs.Find("#action-result").TextContent));
        Assert.Contains("nothing the action reached still yields a session", dialogs.Find("#action-check").TextContent);
        Assert.Contains("OAuth grant of SandboxTool was left unticked", dialogs.Find("#action-survives").TextContent);
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;

        var user = await UserQueries.UserAsync(Alice);
        Assert.Empty(user.ActiveSessions);
        Assert.NotNull(Assert.Single(user.BotPasswords).RevokedAt);
        Assert.Null(Assert.Single(user.OAuthGrants).RevokedAt);
        Assert.Equal("secure-account", Assert.Single((await FarmQueries.AuditAsync()).Items).Action);
    }

    [Fact]
    public async Task Prevent_runs_only_once_the_user_name_is_typed_again()
    {
        await LoginAsync(Bob, "enwiki");
        var (dialogs, click) = await OpenAsync(Bob);

        await dialogs.Find("input#secure-prevent").ChangeAsync(new() { Value = true });
        dialogs.Find("textarea#action-reason").Input("Account sold");
        dialogs.WaitForAssertion(() => dialogs.Find("#action-confirm"));
        Assert.True(dialogs.Find("#action-run").HasAttribute("disabled"));
        dialogs.Find("input#action-confirm").Input(Bob);
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("; prevented;", dialogs.Find("#action-result").TextContent));
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
        Assert.True((await UserQueries.UserAsync(Bob)).Prevented);
    }

    [Fact]
    public async Task A_check_that_fails_is_shown_as_an_error()
    {
        await LoginAsync(Carol, "enwiki");
        // Brings the ticked bot password back right after the action commits.
        using var hook = Feed.Subscribe(n =>
        {
            if (n.Kind != SessionEventKind.AdminAction) return;
            using var db = Ctx.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContext();
            db.BotPasswords.Where(p => db.Users.Any(u => u.Id == p.UserId && u.Name == Carol)).ExecuteUpdate(u => u.SetProperty(p => p.RevokedAt, (DateTimeOffset?)null));
        });
        var (dialogs, click) = await OpenAsync(Carol);

        dialogs.Find("textarea#action-reason").Input("Phished");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("Check failed", dialogs.Find("#action-check").TextContent));
        Assert.Contains("mud-alert-text-error", dialogs.Find("#action-check").ClassName);
        await dialogs.Find("#action-close").ClickAsync(new());
        await click;
    }
}
