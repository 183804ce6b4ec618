using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
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
        Assert.True(result.SessionSurvived);
        Assert.True(result.RecoveredAfter < TimeSpan.FromSeconds(5));
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
        Assert.True(result.InvalidationTook < TimeSpan.FromSeconds(10));
        using var steward = app.Loopback(LoopbackAppFactory.StaffToken("steward"));
        var audit = await steward.GetFromJsonAsync<Paged<AuditView>>("/api/v1/admin/audit", FarmApi.Json);
        Assert.Contains(audit!.Items, a => a.Action == "invalidate-everyone" && a.Actor == "steward");
    }

    [Fact]
    public async Task An_unknown_scenario_is_refused_with_the_list_of_replays()
    {
        var runner = app.Services.GetRequiredService<ReplayRunner>();
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync("no-such-thing", CancellationToken.None));
        Assert.Contains(ReplayRunner.StoreOutage, refused.Message);
    }

    private async Task<ReplayResult> RunAsync(string scenario)
    {
        _ = app.Address;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var result = await app.Services.GetRequiredService<ReplayRunner>().RunAsync(scenario, timeout.Token);
        Assert.True(result.AsExpected, $"{result.Summary}\n{string.Join("\n", result.Steps.Concat(result.Findings))}");
        Assert.Equal(scenario, result.Scenario);
        return result;
    }
}
