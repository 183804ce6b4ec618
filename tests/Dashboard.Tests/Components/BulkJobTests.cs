using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Sessions;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>The sessions explorer's bulk actions: the preview, the typed count, the progress bar, cancel and the check.</summary>
public class BulkJobTests : ComponentTest
{
    private static readonly ClientInfo Botnet = new("192.0.2.9", "curl/8.0", Secure: true);

    private BulkJobs Jobs => Ctx.Services.GetRequiredService<BulkJobs>();
    private NavigationManager Navigation => Ctx.Services.GetRequiredService<NavigationManager>();

    private Task<LoginResult> LoginFromBotnetAsync(string user, string wiki = "enwiki") =>
        Sessions.LoginAsync(new LoginRequest(wiki, user, ProviderKind.Cookie, false, null, null, Botnet));

    /// <summary>The explorer filtered on the botnet's block, with the dialog opened on one of its bulk buttons.</summary>
    /// <remarks>As in a page loaded afresh, the providers have seen no location change yet.</remarks>
    private async Task<(IRenderedComponent<SessionsExplorer> Page, IRenderedComponent<MudDialogProvider> Dialogs, Task Click)> OpenAsync(string button)
    {
        Navigation.NavigateTo("/sessions?ip=192.0.2.0%2F24");
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        Ctx.Render<MudSnackbarProvider>();
        var page = Ctx.Render<SessionsExplorer>();
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("#sessions-grid tbody tr")));
        var click = page.Find(button).ClickAsync(new());
        dialogs.WaitForAssertion(() => dialogs.Find("#bulk-filter"));
        return (page, dialogs, click);
    }

    [Fact]
    public async Task The_preview_counts_by_wiki_and_provider_and_the_job_starts_only_with_a_reason()
    {
        await LoginFromBotnetAsync(Alice, "enwiki");
        await LoginFromBotnetAsync(Bob, "enwiki");
        await LoginFromBotnetAsync(Alice, "dewiki");
        await LoginAsync(Carol);
        var (page, dialogs, click) = await OpenAsync("#bulk-revoke");

        dialogs.WaitForAssertion(() => dialogs.Find("#bulk-counts"));
        Assert.Contains("Revokes 3 valid sessions", dialogs.Find("#bulk-radius").TextContent);
        var rows = dialogs.FindAll("#bulk-counts tbody tr").Select(r => r.TextContent).ToList();
        Assert.Equal(["enwikicookie2", "dewikicookie1"], rows);
        Assert.Contains("auto-login", dialogs.Find("#bulk-survives").TextContent);
        Assert.Empty(dialogs.FindAll("#action-confirm"));
        Assert.True(dialogs.Find("#action-run").HasAttribute("disabled"));

        dialogs.Find("textarea#action-reason").Input("Credential stuffing");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        await click;

        page.WaitForAssertion(() => Assert.Contains("0 of 3 matching sessions revoked", page.Find("#bulk-job-counts").TextContent));
        page.Find("#bulk-job-progress");
        var job = Assert.Single(await Jobs.JobsAsync());
        while (await Jobs.StepAsync(job.Id)) { }
        // The page redraws at most four times a second: let its clock pass that.
        Time.Advance(TimeSpan.FromSeconds(1));
        page.WaitForAssertion(() => Assert.Contains("Checked: nothing the job reached", page.Find("#bulk-job-check").TextContent));
        Assert.Contains("3 of 3 matching sessions revoked", page.Find("#bulk-job-counts").TextContent);
        Assert.Contains("central sessions of those browsers are still valid", page.Find("#bulk-job-survives").TextContent);
        Assert.Empty(page.FindAll("#bulk-job-progress"));
        // The list under the job redraws as well: what the job revoked no longer reads as active.
        page.WaitForAssertion(() => Assert.Equal(
            ["Revoked by a steward.", "Revoked by a steward.", "Revoked by a steward."],
            page.FindAll("#sessions-grid tbody tr").Select(r => r.QuerySelectorAll("td").Last().TextContent.Trim())));
    }

    /// <summary>
    /// The explorer writes an applied filter into the URL, and the browser reports that a round trip later: a dialog
    /// opened in between used to close, since MudBlazor's dialog provider takes its first location change for a new page.
    /// </summary>
    [Fact]
    public async Task The_dialog_stays_open_when_the_url_takes_the_filter_and_closes_when_the_steward_leaves_the_explorer()
    {
        await LoginFromBotnetAsync(Alice);
        var (_, dialogs, click) = await OpenAsync("#bulk-revoke");
        dialogs.WaitForAssertion(() => dialogs.Find("#bulk-counts"));

        Navigation.NavigateTo("/sessions?ip=192.0.2.0%2F24&wiki=enwiki", replace: true);
        dialogs.WaitForAssertion(() => dialogs.Find("#bulk-counts"));
        Assert.False(click.IsCompleted);

        Navigation.NavigateTo("/users");
        await click;
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll("#bulk-filter")));
        Assert.Empty(await Jobs.JobsAsync());
    }

    [Fact]
    public async Task Above_a_thousand_the_count_must_be_typed_back_before_the_job_can_start()
    {
        for (var i = 0; i <= BulkJobs.ConfirmAbove; i++) await LoginFromBotnetAsync(Carol);
        var (_, dialogs, click) = await OpenAsync("#bulk-revoke");
        dialogs.WaitForAssertion(() => dialogs.Find("#action-confirm"));
        Assert.Contains("Type 1001 to confirm", dialogs.Markup);

        dialogs.Find("textarea#action-reason").Input("Botnet");
        dialogs.Find("input#action-confirm").Input("1000");
        dialogs.WaitForAssertion(() => Assert.True(dialogs.Find("#action-run").HasAttribute("disabled")));
        dialogs.Find("input#action-confirm").Input("1,001");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-cancel").ClickAsync(new());
        await click;
        Assert.Empty(await Jobs.JobsAsync());
    }

    [Fact]
    public async Task The_progress_bar_moves_with_each_batch_and_a_steward_can_cancel_with_a_reason()
    {
        Ctx.Services.PostConfigure<SessionOptions>(o => o.BulkUserBatchKeys = 1);
        await LoginFromBotnetAsync(Alice);
        await LoginFromBotnetAsync(Bob);
        await LoginFromBotnetAsync(Carol);
        var (page, dialogs, click) = await OpenAsync("#bulk-invalidate");
        dialogs.WaitForAssertion(() => Assert.Contains("Resets the user token of 3 users", dialogs.Find("#bulk-radius").TextContent));
        dialogs.Find("textarea#action-reason").Input("Logged in from the botnet");
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#action-run").HasAttribute("disabled")));
        await dialogs.Find("#action-run").ClickAsync(new());
        await click;
        var job = Assert.Single(await Jobs.JobsAsync());

        Assert.True(await Jobs.StepAsync(job.Id));
        Time.Advance(TimeSpan.FromSeconds(1));
        page.WaitForAssertion(() => Assert.Contains("1 of 3 users invalidated", page.Find("#bulk-job-counts").TextContent));
        var percent = (await Jobs.JobAsync(job.Id)).Percent;
        Assert.InRange(percent, 1, 99);
        Assert.Contains($"{percent}%", page.Find("#bulk-job-progress").TextContent);

        Assert.True(page.Find("#bulk-cancel").HasAttribute("disabled"));
        page.Find("input#bulk-cancel-reason").Input("Wrong block");
        page.WaitForAssertion(() => Assert.False(page.Find("#bulk-cancel").HasAttribute("disabled")));
        await page.Find("#bulk-cancel").ClickAsync(new());
        page.WaitForAssertion(() => page.Find("#bulk-job-cancelling"));
        Assert.False(await Jobs.StepAsync(job.Id));
        Time.Advance(TimeSpan.FromSeconds(1));
        page.WaitForAssertion(() => Assert.Contains("Cancelled by steward", page.Find("#bulk-job-cancelled").TextContent));
        Assert.Contains("was not invalidated", page.Find("#bulk-job-survives").TextContent);
    }

    [Fact]
    public async Task Staff_who_are_not_stewards_see_the_progress_but_no_bulk_action_or_cancel()
    {
        await LoginFromBotnetAsync(Alice);
        await Jobs.StartAsync(new StaffActor("steward", StaffRole.Steward), BulkJobKind.RevokeSessions, new SessionFilter(Ip: "192.0.2.0/24"), "Botnet", null);
        await SignInAsync("support");
        Ctx.Render<MudPopoverProvider>();

        var page = Ctx.Render<SessionsExplorer>();

        page.WaitForAssertion(() => page.Find("#bulk-job-progress"));
        Assert.Empty(page.FindAll("#bulk-revoke"));
        Assert.Empty(page.FindAll("#bulk-cancel"));
    }
}
