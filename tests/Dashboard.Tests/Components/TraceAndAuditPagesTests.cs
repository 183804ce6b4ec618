using Bunit;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Audit;
using WikiSessions.Dashboard.Components.Pages.Replays;
using WikiSessions.Dashboard.Components.Pages.Traces;
using WikiSessions.Dashboard.Components.Replays;
using Microsoft.Extensions.DependencyInjection;

namespace WikiSessions.Dashboard.Tests.Components;

public class TraceAndAuditPagesTests : ComponentTest
{
    [Fact]
    public async Task The_trace_of_a_logout_that_logged_back_in_shows_each_step_and_a_red_resurrection_flag_with_a_link()
    {
        var traceId = await ResurrectionAsync(Alice);
        var cut = Ctx.Render<TracePage>(p => p.Add(t => t.TraceId, traceId));

        cut.WaitForAssertion(() => cut.Find(".resurrection-flag"));
        var flag = cut.Find(".resurrection-flag");
        Assert.Contains("logged straight back in on enwiki", flag.TextContent);
        var handle = (await TraceQueries.TraceAsync(traceId)).Resurrections.Single().SessionHandle;
        Assert.Equal($"/sessions/{handle}", flag.QuerySelector("a")!.GetAttribute("href"));
        Assert.NotNull(cut.Find("#central-survived"));
        Assert.Contains(cut.FindAll(".step-outcome"), s => s.TextContent.Contains("left alive"));
        Assert.Contains("enwiki_session", cut.Find("#trace-steps").TextContent);
    }

    [Fact]
    public async Task The_trace_page_colours_each_step_by_its_kind_not_by_its_words()
    {
        var login = await LoginAsync(Bob);
        var logout = await Logouts.LogoutAsync(new LogoutRequest("enwiki", CookiesFor(login.SetCookies, "en.wikipedia.org"),
            CookiesFor(login.SetCookies, CentralHost), LogoutScope.Local, Browser));

        var cut = Ctx.Render<TracePage>(p => p.Add(t => t.TraceId, logout.TraceId));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll(".trace-step").Count));
        Assert.NotNull(cut.Find(".trace-step[data-kind=ended] .mud-timeline-dot-success"));
        Assert.NotNull(cut.Find(".trace-step[data-kind=centralLeftAlive] .mud-timeline-dot-error"));
        Assert.Contains("mud-chip-color-warning", cut.Find("#trace-outcome").ClassName);
        Assert.Equal("partial", cut.Find("#trace-outcome").TextContent);
    }

    [Fact]
    public async Task The_trace_list_flags_resurrections_and_can_show_only_those()
    {
        var bad = await ResurrectionAsync(Alice);
        var bob = await LoginAsync(Bob);
        await Logouts.LogoutAsync(new(("enwiki"), CookiesFor(bob.SetCookies, "en.wikipedia.org"), CookiesFor(bob.SetCookies, CentralHost), LogoutScope.Global, Browser));
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<TracesPage>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("#traces-grid tbody tr").Count));
        Assert.Contains("1 resurrected", cut.Find("#traces-grid").TextContent);

        cut.Find("input#trace-resurrected").Change(true);
        cut.WaitForAssertion(() => Assert.Equal(bad, Assert.Single(cut.FindAll(".trace-link")).TextContent));
    }

    [Fact]
    public async Task The_audit_log_says_who_did_what_why_and_links_to_what_it_ended()
    {
        await LoginAsync(Alice);
        var handle = await HandleOfAsync(Alice);
        await Admin.RevokeSessionAsync(new StaffActor("steward", StaffRole.Steward), handle, "Stolen laptop");
        await Admin.InvalidateUserAsync(new StaffActor("steward", StaffRole.Steward), Bob, "Asked by the user");
        Ctx.Render<MudPopoverProvider>();

        var cut = Ctx.Render<AuditPage>();

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("#audit-grid tbody tr").Count));
        Assert.Contains("Stolen laptop", cut.Markup);
        var links = cut.FindAll(".audit-target").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains($"/sessions/{handle}", links);
        Assert.Contains("/users/Sandbox%20Bob", links);
    }

    [Fact]
    public void Without_the_demo_farm_the_replays_page_says_so()
    {
        Ctx.Services.AddSingleton<IReplayRunner, NoReplayRunner>();
        var cut = Ctx.Render<ReplaysPage>();
        Assert.Contains("demo farm is not running", cut.Find("#replays-unavailable").TextContent);
    }

    [Fact]
    public void A_replay_starts_from_its_button_and_its_events_show_live()
    {
        var runner = new FakeRunner();
        Ctx.Services.AddSingleton<IReplayRunner>(runner);
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<ReplaysPage>();

        cut.Find(".replay-start").Click();

        cut.WaitForAssertion(() => Assert.Contains("logout-logs-back-in", cut.Find("#replay-started").TextContent));
        Assert.Equal(["logout-logs-back-in"], runner.Started.Select(s => s.Scenario));
        Feed.Publish(new(SessionEventKind.Resurrection, Time.GetUtcNow(), "enwiki", "abcd", Alice, null, "logged back in"));
        cut.WaitForAssertion(() => Assert.Contains("logged back in", cut.Find("#live-feed").TextContent));
    }

    [Fact]
    public async Task A_replay_that_invalidates_everyone_asks_a_steward_for_the_blast_radius_a_reason_and_the_typed_word_and_runs_as_that_steward()
    {
        var runner = new FakeRunner();
        Ctx.Services.AddSingleton<IReplayRunner>(runner);
        var dialogs = Ctx.Render<MudDialogProvider>();
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<ReplaysPage>();
        Assert.Contains("not on sandbox users", cut.Find("#replays-real-farm").TextContent);

        var click = cut.Find(".replay-steward").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("open sessions in the current epoch", dialogs.Find("#replay-radius").TextContent));
        Assert.Empty(runner.Started);
        dialogs.Find("textarea#replay-reason").Input("Rehearsing the incident runbook");
        Assert.True(dialogs.Find("#replay-run").HasAttribute("disabled"));
        dialogs.Find("input#replay-confirm").Input(ReplayStart.EveryoneWord);
        dialogs.WaitForAssertion(() => Assert.False(dialogs.Find("#replay-run").HasAttribute("disabled")));
        await dialogs.Find("#replay-run").ClickAsync(new());
        await click;

        var start = Assert.Single(runner.Started);
        Assert.Equal(new StaffActor("steward", StaffRole.Steward), start.Actor);
        Assert.Equal("Rehearsing the incident runbook", start.Reason);
        cut.WaitForAssertion(() => Assert.Contains("invalidate-everyone", cut.Find("#replay-started").TextContent));
    }

    [Fact]
    public async Task A_developer_cannot_start_a_replay_that_invalidates_everyone()
    {
        await SignInAsync("developer");
        var runner = new FakeRunner();
        Ctx.Services.AddSingleton<IReplayRunner>(runner);
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<ReplaysPage>();

        cut.WaitForAssertion(() => Assert.True(cut.Find(".replay-steward").HasAttribute("disabled")));
        Assert.False(cut.Find(".replay-start:not(.replay-steward)").HasAttribute("disabled"));
        Assert.Empty(runner.Started);
    }

    private sealed class FakeRunner : IReplayRunner
    {
        public List<ReplayStart> Started { get; } = [];
        public IReadOnlyList<string> Scenarios => ["logout-logs-back-in", "invalidate-everyone"];
        public ReplayReach Reach(string scenario) => scenario == "invalidate-everyone" ? ReplayReach.EverySession : ReplayReach.OwnTraffic;
        public Task StartAsync(ReplayStart start, CancellationToken cancellationToken) { Started.Add(start); return Task.CompletedTask; }
    }
}
