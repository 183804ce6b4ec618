using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Metrics;
using WikiSessions.Dashboard.Farm;
using WikiSessions.Dashboard.Components.Replays;

namespace WikiSessions.Dashboard.Tests.Operations;

/// <summary>The app with alerts evaluated every fifth of a second, so a replay raises one within a test's time.</summary>
public sealed class FastAlertsAppFactory : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Metrics:AlertInterval", "00:00:00.200"),
        new("Metrics:FlushInterval", "00:00:01"),
    ];
}

/// <summary>Alerts raised by the demo farm's replays, and /metrics for the operations stack.</summary>
public class OperationsTests(FastAlertsAppFactory app) : IClassFixture<FastAlertsAppFactory>
{
    private async Task<IReadOnlyList<AlertView>> AlertsAfterTheNextEvaluationAsync()
    {
        var writer = app.Services.GetRequiredService<MetricsWriter>();
        return await writer.EvaluateAsync();
    }

    [Fact]
    public async Task Quiet_replays_raise_no_alert_and_logout_logs_back_in_raises_the_resurrection_alert()
    {
        _ = app.Address;
        var runner = app.Services.GetRequiredService<ReplayRunner>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        // Quiet traffic: logins, visits on other wikis, a steward's revoke that holds, and cookies the fixed service ignores.
        var steward = new StaffActor("steward", StaffRole.Steward);
        foreach (var quiet in new[] { ReplayRunner.RevokeLogsBackIn, ReplayRunner.DeletedCookies, ReplayRunner.StaleAppCookies })
            Assert.True((await runner.RunAsync(new ReplayStart(quiet, steward, "checking the alerts stay quiet"), timeout.Token)).AsExpected);
        Assert.Empty(await AlertsAfterTheNextEvaluationAsync());

        var result = await runner.RunAsync(new ReplayStart(ReplayRunner.LogoutLogsBackIn, steward), timeout.Token);
        Assert.True(result.AsExpected, result.Summary);

        var alert = Assert.Single(await AlertsAfterTheNextEvaluationAsync());
        Assert.Equal(("resurrections", Signal.Resurrections), (alert.Rule, alert.Signal));
        var alerts = await app.Services.GetRequiredService<MetricsQueries>().AlertsAsync();
        Assert.Null(Assert.Single(alerts).EndedAt);
    }

    [Fact]
    public async Task Metrics_are_served_to_scrapers_without_a_login_in_prometheus_format_with_wiki_and_group_labels_only()
    {
        using var anonymous = app.Loopback();
        var metrics = app.Services.GetRequiredService<SessionMetrics>();
        metrics.Count("enwiki", Signal.Logins);
        metrics.CountWrite("enwiki", 123);

        var response = await anonymous.GetAsync("/metrics");

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE wikisessions_logins_total counter", text);
        metrics.CountEnded(Core.Domain.EndReason.Revoked, 1);
        Assert.Matches("""wikisessions_sessions_ended_total\{[^}]*reason="revoked"[^}]*\} \d+""", await (await anonymous.GetAsync("/metrics")).Content.ReadAsStringAsync());
        Assert.Matches("""wikisessions_logins_total\{[^}]*wiki="enwiki"[^}]*\} \d+""", text);
        Assert.Matches("""wikisessions_mediawiki_written_bytes_total\{[^}]*group="group2"[^}]*\} \d+""", text);
        // Only wiki and group labels, and an end's reason (plus the exporter's own scope labels): no session, user, IP or key.
        var ours = string.Join("\n", text.Split('\n').Where(l => l.StartsWith("wikisessions_")));
        var labels = System.Text.RegularExpressions.Regex.Matches(ours, """[{,]([a-z_]+)=""").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Subset(new HashSet<string> { "wiki", "group", "reason" }, labels.Where(l => !l.StartsWith("otel_scope_")).ToHashSet());
        foreach (var secret in new[] { "Sandbox", "handle", "user", "ip=", "token" })
            Assert.DoesNotContain(secret, ours, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_apps_metrics_keep_counting_after_another_app_in_the_same_process_stops()
    {
        // Two hosts in one process, as in these tests: the first one's meter of the same name is published first.
        var first = new AppFactory();
        _ = first.Services;
        await using var second = new AppFactory();
        var metrics = second.Services.GetRequiredService<SessionMetrics>();
        await first.DisposeAsync();
        using var scraper = second.CreateClient();
        await scraper.GetStringAsync("/metrics");

        metrics.CountEnded(Core.Domain.EndReason.Prevented, 1);

        Assert.Matches("""wikisessions_sessions_ended_total\{[^}]*reason="prevented"[^}]*\} 1""", await scraper.GetStringAsync("/metrics"));
    }
}
