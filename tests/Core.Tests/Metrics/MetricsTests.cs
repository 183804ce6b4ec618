using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Metrics;

namespace WikiSessions.Core.Tests.Metrics;

/// <summary>The operations view: counts where events happen, per-minute buckets, alert rules over them.</summary>
public abstract class MetricsTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : MetricsTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : MetricsTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : MetricsTests(StoreKind.SqlServer);

    private static SessionMetrics Metrics(TestFarm farm) => farm.Services.GetRequiredService<SessionMetrics>();
    private static MetricsWriter Writer(TestFarm farm) => farm.Services.GetRequiredService<MetricsWriter>();
    private static MetricsQueries Queries(TestFarm farm) => farm.Services.GetRequiredService<MetricsQueries>();

    /// <summary>A login on enwiki, an auto-login on dewiki, a local logout on enwiki and the auto-login straight back in.</summary>
    private static async Task LogoutLogsBackInAsync(TestFarm farm)
    {
        var login = await farm.LoginAsync();
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
        Assert.True((await farm.ResolveAsync("dewiki", new Dictionary<string, string>(), central)).AutoLogin);
        await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"), central, LogoutScope.Local, TestFarm.Browser));
        farm.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), central)).AutoLogin);
    }

    [Fact]
    public async Task Ended_sessions_are_counted_by_the_reason_the_store_records_once_committed()
    {
        await using var farm = await StartAsync();
        var counted = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        // Resolved before the listener starts: its callbacks run under the runtime's instrument lock.
        var meter = Metrics(farm).Meter;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        // Only this farm's instrument: other farms in the process have a meter of the same name.
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "wikisessions.sessions.ended") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => counted.AddOrUpdate((string)tags[0].Value!, value, (_, sum) => sum + value));
        listener.Start();

        var first = await farm.LoginAsync();
        await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(first.SetCookies, "en.wikipedia.org"), null, LogoutScope.Local, TestFarm.Browser));
        await farm.LoginAsync();
        await farm.LoginAsync(wiki: "dewiki");
        await farm.LoginAsync(TestFarm.Bob);
        await farm.Admin.LockUserAsync(TestFarm.Steward, TestFarm.Alice, "Looking into it");
        farm.Time.Advance(TimeSpan.FromHours(1));
        await farm.Sweeper.SweepOnceAsync();

        Assert.Equal(new Dictionary<string, long> { ["loggedOut"] = 1, ["locked"] = 2, ["idle"] = 1 }, counted.ToDictionary());
    }

    [Fact]
    public async Task Engine_events_are_counted_per_wiki_and_written_as_wiki_and_group_buckets()
    {
        await using var farm = await StartAsync();
        await LogoutLogsBackInAsync(farm);

        var counts = Metrics(farm).Peek();
        Assert.Equal(1, counts["enwiki"][(int)Signal.Logins]);
        Assert.Equal(1, counts["enwiki"][(int)Signal.Logouts]);
        Assert.Equal(1, counts["enwiki"][(int)Signal.AutoLogins]);
        Assert.Equal(1, counts["enwiki"][(int)Signal.Resurrections]);
        Assert.Equal(1, counts["dewiki"][(int)Signal.AutoLogins]);

        await Writer(farm).FlushAsync();
        Assert.Empty(Metrics(farm).Peek());
        await using var db = farm.Db();
        var enwiki = await db.Wikis.SingleAsync(w => w.DbName == "enwiki");
        var buckets = await db.MetricBuckets.ToListAsync();
        Assert.Equal(1, buckets.Single(b => b.WikiId == enwiki.Id && b.Signal == Signal.Resurrections).Value);
        Assert.Equal(2, buckets.Single(b => b.WikiId == null && b.Group == DeploymentGroup.Group2 && b.Signal == Signal.AutoLogins).Value);
        // Active sessions: the enwiki login ended by the logout, the dewiki auto-login and the enwiki resurrection remain.
        Assert.Equal(2, buckets.Single(b => b.WikiId == null && b.Group == DeploymentGroup.Group2 && b.Signal == Signal.Active).Value);
        Assert.DoesNotContain(buckets, b => b.WikiId == null && b.Group == DeploymentGroup.Group0 && b.Signal != Signal.Active);
    }

    [Fact]
    public async Task A_second_flush_in_the_same_minute_adds_to_the_bucket_and_a_refusal_for_an_unknown_wiki_writes_none()
    {
        await using var farm = await StartAsync(configuration: new() { ["Metrics:FlushInterval"] = "00:00:01" });
        await farm.LoginAsync();
        await Writer(farm).FlushAsync();
        await farm.LoginAsync(TestFarm.Bob);
        await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(wiki: "nosuchwiki"));
        await Writer(farm).FlushAsync();

        await using var db = farm.Db();
        var logins = await db.MetricBuckets.Where(b => b.Signal == Signal.Logins && b.WikiId == null).ToListAsync();
        Assert.Equal(2, Assert.Single(logins).Value);
        Assert.False(await db.MetricBuckets.AnyAsync(b => b.Signal == Signal.Refusals));
    }

    [Fact]
    public async Task A_resurrection_raises_the_alert_for_its_group_at_once_and_it_ends_when_the_window_has_passed()
    {
        await using var farm = await StartAsync();
        await LogoutLogsBackInAsync(farm);

        // Not flushed yet: the live counts raise it.
        var open = await Writer(farm).EvaluateAsync();
        var alert = Assert.Single(open);
        Assert.Equal(("resurrections", "group2", Signal.Resurrections), (alert.Rule, alert.Group, alert.Signal));
        Assert.Contains("Resurrections: 1 in 10 minutes, above 0", alert.Detail);
        Assert.Contains(farm.Logs.Messages, m => m.StartsWith("Alert resurrections raised for group2"));
        await Writer(farm).FlushAsync();
        Assert.Single(await Writer(farm).EvaluateAsync());

        farm.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.Empty(await Writer(farm).EvaluateAsync());
        await using var db = farm.Db();
        var stored = await db.Alerts.SingleAsync();
        Assert.Equal(farm.Time.GetUtcNow(), stored.EndedAt);
        Assert.Equal(TestFarm.Start, stored.StartedAt.AddSeconds(-5));
        Assert.Contains(farm.Logs.Messages, m => m.StartsWith("Alert resurrections ended for group2"));
    }

    [Fact]
    public async Task A_relative_rule_fires_only_above_its_minimum_and_the_given_times_the_previous_days_rate()
    {
        await using var farm = await StartAsync(configuration: new()
        {
            ["Metrics:Rules:metadata-rejections:Above"] = "5",
            ["Metrics:Rules:metadata-rejections:TimesPreviousDay"] = "3",
        });
        var metrics = Metrics(farm);
        // Yesterday: 1,440 rejections on enwiki over the day, 10 per 10 minutes.
        for (var hour = 0; hour < 24; hour++)
        {
            metrics.Count("enwiki", Signal.Rejections, 60);
            await Writer(farm).FlushAsync();
            farm.Time.Advance(TimeSpan.FromHours(1));
        }
        metrics.Count("enwiki", Signal.Rejections, 25);
        Assert.Empty(await Writer(farm).EvaluateAsync());
        metrics.Count("enwiki", Signal.Rejections, 10);

        var alert = Assert.Single(await Writer(farm).EvaluateAsync());
        Assert.Equal("metadata-rejections", alert.Rule);
        Assert.Contains("Metadata rejections: 35 in 10 minutes, above 5 and 3× the previous day's 10", alert.Detail);
    }

    [Fact]
    public async Task Quiet_traffic_raises_no_alert()
    {
        await using var farm = await StartAsync();
        foreach (var user in new[] { TestFarm.Alice, TestFarm.Bob, TestFarm.Carol })
        {
            var login = await farm.LoginAsync(user);
            await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"),
                TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));
        }
        await Writer(farm).FlushAsync();

        Assert.Empty(await Writer(farm).EvaluateAsync());
        await using var db = farm.Db();
        Assert.False(await db.Alerts.AnyAsync());
    }

    [Fact]
    public async Task Charts_read_counts_per_slot_with_the_live_minute_and_carry_a_wikis_active_sessions_forward()
    {
        await using var farm = await StartAsync();
        await farm.LoginAsync();
        // A flush writes the minute most of its interval fell in: half a minute in, that is this one.
        farm.Time.Advance(TimeSpan.FromSeconds(30));
        await Writer(farm).FlushAsync();
        farm.Time.Advance(TimeSpan.FromMinutes(5));
        await farm.LoginAsync(TestFarm.Bob, wiki: "testwiki");

        var group2 = await Queries(farm).GroupAsync(DeploymentGroup.Group2, TimeSpan.FromHours(1));
        Assert.Equal(60, group2.Times.Count);
        Assert.Equal(1, group2[Signal.Logins].Total);
        Assert.Equal(1, group2[Signal.Logins].Values[^6]);
        var all = await Queries(farm).GroupAsync(null, TimeSpan.FromHours(1));
        Assert.Equal(2, all[Signal.Logins].Total);
        Assert.Equal(1, all[Signal.Logins].Values[^1]);

        var enwiki = (await Queries(farm).WikiAsync("enwiki", TimeSpan.FromHours(1)))!;
        // Carried forward into the live slot; the minutes in between stored nothing (no flush ran), so they are gaps.
        Assert.Equal([1, null, null, null, null, 1], enwiki[Signal.Active].Values.TakeLast(6));
        Assert.Null(enwiki[Signal.Active].Values[^7]);
        Assert.Null(group2[Signal.Logins].Values[^5]);
        Assert.Null(await Queries(farm).WikiAsync("nosuchwiki", TimeSpan.FromHours(1)));
    }

    [Fact]
    public async Task The_sweep_deletes_buckets_and_ended_alerts_older_than_the_retention_period()
    {
        await using var farm = await StartAsync();
        await LogoutLogsBackInAsync(farm);
        await Writer(farm).EvaluateAsync();
        await Writer(farm).FlushAsync();
        farm.Time.Advance(TimeSpan.FromMinutes(11));
        await Writer(farm).EvaluateAsync();

        farm.Time.Advance(TimeSpan.FromDays(8) + TimeSpan.FromMinutes(1));
        await farm.LoginAsync(TestFarm.Bob);
        await Writer(farm).FlushAsync();
        Assert.True(await Writer(farm).SweepAsync() > 0);

        await using var db = farm.Db();
        Assert.False(await db.Alerts.AnyAsync());
        var kept = MetricsWriter.MinuteOf(farm.Time.GetUtcNow() - TimeSpan.FromDays(8));
        Assert.All(await db.MetricBuckets.ToListAsync(), b => Assert.True(b.Minute >= kept));
        Assert.True(await db.MetricBuckets.AnyAsync(b => b.Signal == Signal.Logins));
    }

    [Fact]
    public async Task MediaWiki_store_calls_are_counted_with_the_bytes_written()
    {
        await using var farm = await StartAsync();
        var store = farm.Services.GetRequiredService<Core.MediaWiki.MediaWikiStore>();
        var enwiki = (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync("enwiki", default))!;
        var key = await store.KeyAsync(enwiki, "enwiki:somecache:1", default);
        await store.PutAsync(key, new byte[300], default);
        await store.GetAsync(key, default);
        await store.DeleteAsync(key, default);

        var counts = Metrics(farm).Peek()["enwiki"];
        Assert.Equal((1, 1, 1, 300), (counts[(int)Signal.Writes], counts[(int)Signal.Reads], counts[(int)Signal.Deletes], counts[(int)Signal.BytesWritten]));
    }
}
