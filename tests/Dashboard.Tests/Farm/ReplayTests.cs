using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Replays;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Farm;

namespace WikiSessions.Dashboard.Tests.Farm;

/// <summary>The app with a short store outage, so the outage replay stays within a test's time.</summary>
public sealed class ReplayAppFactory : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Replays:StoreOutageDuration", "00:00:02"),
        new("Replays:HeavyTrafficBrowsers", "12"),
    ];
}

/// <summary>Each failure of DOMAIN.md, replayed over the HTTP API, shows what the fixed service must show.</summary>
public class ReplayTests(ReplayAppFactory app) : IClassFixture<ReplayAppFactory>
{
    /// <summary>The steward who starts the replays: the audit log must name her, not a built-in account.</summary>
    private static readonly StaffActor Grace = new("Steward Grace", StaffRole.Steward);

    [Fact]
    public async Task Logout_with_local_scope_is_undone_by_auto_login_and_the_trace_links_the_resurrection()
    {
        var result = await RunAsync(ReplayRunner.LogoutLogsBackIn);

        Assert.True(result.LoggedBackIn);
        Assert.Equal(LogoutOutcome.Partial, result.TraceOutcome);
        using var developer = app.Loopback(LoopbackAppFactory.StaffToken("developer"));
        var trace = await developer.GetFromJsonAsync<LogoutTraceView>($"/api/v1/admin/logout-traces/{result.TraceId}", FarmApi.Json);
        Assert.True(trace!.CentralSessionSurvived);
        var resurrection = Assert.Single(trace.Resurrections);
        Assert.Equal(Assert.Single(result.ResurrectionHandles!), resurrection.SessionHandle);
        Assert.Equal(trace.Wiki, resurrection.Wiki);
    }

    [Fact]
    public async Task A_stewards_revoke_holds_on_the_next_request_here_and_on_another_wiki()
    {
        var result = await RunAsync(ReplayRunner.RevokeLogsBackIn);

        Assert.True(result.AsExpected, result.Summary);
        Assert.False(result.LoggedBackIn);
    }

    [Fact]
    public async Task Remember_me_cookies_restore_nothing_after_invalidate_everyone()
    {
        var result = await RunAsync(ReplayRunner.RememberMeSurvivesInvalidateEveryone);

        Assert.True(result.AsExpected, result.Summary);
        Assert.False(result.LoggedBackIn);
    }

    [Fact]
    public async Task Deleted_cookies_and_secure_cookies_over_plain_http_cause_no_errors()
    {
        var result = await RunAsync(ReplayRunner.DeletedCookies);

        Assert.Equal(0, result.SessionsFromDeletedCookies);
        Assert.Equal(0, result.CookiesClearedThatWereNotSent);
        Assert.Equal(0, result.SecureCookiesSetOverPlainHttp);
        Assert.Equal(["200"], result.Statuses.Keys);
    }

    [Fact]
    public async Task An_app_sending_stale_cookies_can_still_log_in()
    {
        var result = await RunAsync(ReplayRunner.StaleAppCookies);

        Assert.Equal(3, result.StaleRequestsAnswered);
        Assert.True(result.LoggedInDespiteStaleCookies);
        Assert.True(result.SessionSurvived);
    }

    [Fact]
    public async Task Concurrent_writes_get_conflicts_and_never_lose_the_session()
    {
        var result = await RunAsync(ReplayRunner.ConcurrentWrites);

        Assert.Equal(1, result.ConcurrentWins);
        Assert.True(result.Conflicts >= 19, $"only {result.Conflicts} conflicts");
        Assert.Equal(0, result.LostUpdates);
        Assert.True(result.SessionSurvived);
        Assert.Equal(["200", "409"], result.Statuses.Keys);
    }

    [Fact]
    public async Task A_store_outage_answers_a_clear_counted_503_and_recovers_by_itself()
    {
        var result = await RunAsync(ReplayRunner.StoreOutage);

        Assert.True(result.Unavailable > 0);
        Assert.Contains("session store is unavailable", result.UnavailableTitle);
        Assert.True(result.StoreFailuresCounted >= result.Unavailable);
        // The session resolves again on its own (the replay gives the store 30 s); how fast is the benchmarks' to say.
        Assert.True(result.SessionSurvived);
        using var http = app.Loopback();
        Assert.True((await http.GetAsync("/health/ready")).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Invalidating_everyone_during_heavy_traffic_ends_every_session_and_people_log_in_again()
    {
        var result = await RunAsync(ReplayRunner.InvalidateEveryone);

        Assert.Equal(0, result.SessionsStillResolving);
        Assert.Equal(12, result.LoggedInAgain);
        Assert.True(result.SessionsEnded >= 12);
        using var steward = app.Loopback(LoopbackAppFactory.StaffToken("steward"));
        var audit = await steward.GetFromJsonAsync<Paged<AuditView>>("/api/v1/admin/audit", FarmApi.Json);
        Assert.Contains(audit!.Items, a => a.Action == "invalidate-everyone" && a.Actor == Grace.Name && a.Reason == "Replay invalidate-everyone: rehearsing the runbook");
    }

    [Theory]
    [InlineData(ReplayRunner.InvalidateEveryone)]
    [InlineData(ReplayRunner.RememberMeSurvivesInvalidateEveryone)]
    [InlineData(ReplayRunner.RevokeLogsBackIn)]
    public async Task A_developer_cannot_start_a_replay_that_takes_a_stewards_action_and_nothing_changes(string scenario)
    {
        _ = app.Address;
        var runner = app.Services.GetRequiredService<ReplayRunner>();
        var epoch = await EpochAsync();
        var developer = new StaffActor("developer", StaffRole.Developer);

        var refused = await Assert.ThrowsAsync<SessionException>(() =>
            runner.StartAsync(new ReplayStart(scenario, developer, "just looking", ReplayStart.EveryoneWord), CancellationToken.None));
        Assert.Equal(Failure.Forbidden, refused.Failure);
        Assert.Contains("only stewards may start it", refused.Message);
        await Assert.ThrowsAsync<SessionException>(() => runner.RunAsync(new ReplayStart(scenario, developer, "just looking", ReplayStart.EveryoneWord), CancellationToken.None));
        Assert.Equal(epoch, await EpochAsync());
    }

    [Theory]
    [InlineData(null, ReplayStart.EveryoneWord, "a reason is required")]
    [InlineData("rehearsing", null, "type 'everyone' to confirm")]
    [InlineData("rehearsing", "Everyone", "type 'everyone' to confirm")]
    public async Task A_steward_starts_a_replay_that_invalidates_everyone_only_with_a_reason_and_the_typed_word(string? reason, string? confirmation, string refusal)
    {
        _ = app.Address;
        var runner = app.Services.GetRequiredService<ReplayRunner>();
        var epoch = await EpochAsync();

        var refused = await Assert.ThrowsAsync<SessionException>(() =>
            runner.StartAsync(new ReplayStart(ReplayRunner.InvalidateEveryone, Grace, reason, confirmation), CancellationToken.None));
        Assert.Contains(refusal, refused.Message);
        Assert.Equal(epoch, await EpochAsync());
    }

    private async Task<long> EpochAsync()
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync();
        return await db.Farm.Select(f => f.Epoch).SingleAsync();
    }

    [Fact]
    public async Task An_unknown_scenario_is_refused_with_the_list_of_replays()
    {
        var runner = app.Services.GetRequiredService<ReplayRunner>();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(new ReplayStart("no-such-thing", Grace), CancellationToken.None));
        Assert.Contains(ReplayRunner.StoreOutage, refused.Message);
    }

    private async Task<ReplayResult> RunAsync(string scenario)
    {
        _ = app.Address;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var start = new ReplayStart(scenario, Grace, "rehearsing the runbook", ReplayStart.EveryoneWord);
        var result = await app.Services.GetRequiredService<ReplayRunner>().RunAsync(start, timeout.Token);
        Assert.True(result.AsExpected, $"{result.Summary}\n{string.Join("\n", result.Steps.Concat(result.Findings))}");
        Assert.Equal(scenario, result.Scenario);
        return result;
    }
}
