using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Metrics;

/// <summary>
/// The one writer of the operations view: drains <see cref="SessionMetrics"/> into per-minute buckets every
/// <see cref="MetricsOptions.FlushInterval"/>, evaluates the alert rules every <see cref="MetricsOptions.AlertInterval"/>
/// (over the buckets and the counts not yet written, so an alert does not wait for the next flush), and deletes what
/// is older than the retention period. Charts read the buckets, never the session rows.
/// </summary>
public sealed class MetricsWriter(
    IDbContextFactory<SessionsDb> dbFactory,
    SessionMetrics metrics,
    AlertBoard board,
    FarmDirectory farm,
    FarmQueries farmQueries,
    IOptions<MetricsOptions> options,
    TimeProvider time,
    ILogger<MetricsWriter> logger) : BackgroundService
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromHours(1);
    private readonly MetricsOptions _options = options.Value;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Dictionary<int, long> _lastActive = [];
    private readonly Dictionary<(string Rule, DeploymentGroup Group), Alert> _open = [];
    private bool _openLoaded;
    private long _activeMinute = -1;
    private DateTimeOffset _lastFlush;
    private DateTimeOffset _lastSweep;

    /// <summary>Minutes since the Unix epoch, the buckets' time.</summary>
    public static long MinuteOf(DateTimeOffset at) => at.ToUnixTimeSeconds() / 60;

    public static DateTimeOffset TimeOf(long minute) => DateTimeOffset.FromUnixTimeSeconds(minute * 60);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the app serves: the counters' group labels and the tracked wikis come from the farm.
        metrics.UseFarm(await farm.AllAsync(cancellationToken));
        _lastFlush = _lastSweep = time.GetUtcNow();
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.AlertInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var now = time.GetUtcNow();
                if (now - _lastFlush >= _options.FlushInterval)
                {
                    await FlushAsync(stoppingToken);
                    _lastFlush = now;
                }
                await EvaluateAsync(stoppingToken);
                if (now - _lastSweep >= SweepEvery)
                {
                    await SweepAsync(stoppingToken);
                    _lastSweep = now;
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "The metrics writer's pass failed; the next one runs in {Interval}", _options.AlertInterval);
            }
        }
    }

    /// <summary>
    /// Writes the counts since the last flush into the bucket of the minute they mostly fell in, per wiki and per
    /// deployment group, and the active sessions sampled once a minute. Returns how many rows were added or changed.
    /// </summary>
    public Task<int> FlushAsync(CancellationToken cancellationToken = default) => OneAtATimeAsync(FlushCoreAsync, cancellationToken);

    private async Task<int> FlushCoreAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var minute = MinuteOf(now - (_options.FlushInterval < TimeSpan.FromMinutes(2) ? _options.FlushInterval / 2 : TimeSpan.Zero));
        var wikis = await farm.AllAsync(cancellationToken);
        var byName = wikis.ToDictionary(w => w.DbName, StringComparer.Ordinal);
        var drained = metrics.Drain();

        var values = new Dictionary<(int? WikiId, DeploymentGroup Group, Signal Signal), long>();
        foreach (var (name, counts) in drained)
        {
            if (!byName.TryGetValue(name, out var wiki)) continue; // unknown names are for /metrics only
            foreach (var signal in SessionMetrics.Counted)
            {
                if (counts[(int)signal] == 0) continue;
                values[(wiki.Id, wiki.Group, signal)] = counts[(int)signal];
                values[(null, wiki.Group, signal)] = values.GetValueOrDefault((null, wiki.Group, signal)) + counts[(int)signal];
            }
        }

        var active = minute == _activeMinute ? null : await ActiveSessionsAsync(cancellationToken);
        if (active is not null)
        {
            metrics.SetActive(active);
            foreach (var group in Enum.GetValues<DeploymentGroup>()) values[(null, group, Signal.Active)] = 0;
            foreach (var wiki in wikis)
            {
                var count = active.GetValueOrDefault(wiki.DbName);
                values[(null, wiki.Group, Signal.Active)] += count;
                // A wiki's level is written when it changes; the charts carry it forward.
                if (_lastActive.GetValueOrDefault(wiki.Id, -1) != count) values[(wiki.Id, wiki.Group, Signal.Active)] = count;
            }
        }
        if (values.Count == 0) return 0;

        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var existing = (await db.MetricBuckets.Where(b => b.Minute == minute).ToListAsync(cancellationToken))
                .ToDictionary(b => (b.WikiId, b.Group, b.Signal));
            foreach (var (key, value) in values)
            {
                if (existing.TryGetValue(key, out var bucket))
                    bucket.Value = key.Signal == Signal.Active ? value : bucket.Value + value;
                else
                    db.MetricBuckets.Add(new MetricBucket { Minute = minute, WikiId = key.WikiId, Group = key.Group, Signal = key.Signal, Value = value });
            }
            var written = await db.SaveChangesAsync(cancellationToken);
            if (active is not null)
            {
                _activeMinute = minute;
                foreach (var wiki in wikis) _lastActive[wiki.Id] = active.GetValueOrDefault(wiki.DbName);
            }
            return written;
        }
        catch
        {
            // The store is down: the counts go back for the next flush instead of being lost.
            metrics.Return(drained);
            throw;
        }
    }

    /// <summary>
    /// Logged-in sessions per wiki, sampled once a minute with the overview's own query (one query a minute).
    /// Switch to the store's per-wiki counters once they exist.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, long>> ActiveSessionsAsync(CancellationToken cancellationToken) =>
        (await farmQueries.WikisAsync(cancellationToken)).Where(w => w.ActiveSessions > 0)
            .ToDictionary(w => w.Wiki, w => (long)w.ActiveSessions, StringComparer.Ordinal);

    /// <summary>
    /// Evaluates every rule for every deployment group over its window (the buckets plus the counts not yet written),
    /// raises the alerts that start firing and ends those that stopped. Returns the alerts open afterwards.
    /// </summary>
    public Task<IReadOnlyList<AlertView>> EvaluateAsync(CancellationToken cancellationToken = default) => OneAtATimeAsync(EvaluateCoreAsync, cancellationToken);

    private async Task<IReadOnlyList<AlertView>> EvaluateCoreAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var nowMinute = MinuteOf(now);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!_openLoaded)
        {
            foreach (var alert in await db.Alerts.Where(a => a.EndedAt == null).ToListAsync(cancellationToken))
                _open[(alert.Rule, alert.Group)] = alert;
            _openLoaded = true;
        }

        var live = await LiveByGroupAsync(cancellationToken);
        var raised = new List<Alert>();
        var ended = new List<Alert>();
        foreach (var (name, rule) in _options.Rules)
        {
            var windowStart = nowMinute - (long)rule.Window.TotalMinutes;
            var dayStart = windowStart - 24 * 60;
            var rows = await db.MetricBuckets.Where(b => b.WikiId == null && b.Signal == rule.Signal && b.Minute > dayStart)
                .GroupBy(b => new { b.Group, Current = b.Minute > windowStart })
                .Select(g => new { g.Key.Group, g.Key.Current, Sum = g.Sum(b => b.Value) }).ToListAsync(cancellationToken);
            foreach (var group in Enum.GetValues<DeploymentGroup>())
            {
                var count = rows.Where(r => r.Group == group && r.Current).Sum(r => r.Sum) + live.GetValueOrDefault((group, rule.Signal));
                var previousDay = rows.Where(r => r.Group == group && !r.Current).Sum(r => r.Sum);
                var fires = rule.Fires(count, previousDay);
                var open = _open.GetValueOrDefault((name, group));
                if (fires && open is null)
                {
                    var alert = new Alert
                    {
                        Rule = name, Group = group, Signal = rule.Signal, StartedAt = now, Peak = count,
                        Detail = BoundedText.Cut(rule.Describe(count, previousDay), Alert.MaxDetail)!,
                    };
                    db.Alerts.Add(alert);
                    _open[(name, group)] = alert;
                    raised.Add(alert);
                }
                else if (fires && count > open!.Peak)
                {
                    db.Alerts.Attach(open);
                    open.Peak = count;
                }
                else if (!fires && open is not null)
                {
                    db.Alerts.Attach(open);
                    open.EndedAt = now;
                    _open.Remove((name, group));
                    ended.Add(open);
                }
            }
        }
        // Alerts of rules removed from the configuration end too.
        foreach (var stale in _open.Where(o => !_options.Rules.ContainsKey(o.Key.Rule)).ToList())
        {
            db.Alerts.Attach(stale.Value);
            stale.Value.EndedAt = now;
            _open.Remove(stale.Key);
            ended.Add(stale.Value);
        }
        await db.SaveChangesAsync(cancellationToken);

        foreach (var alert in raised)
            logger.LogWarning("Alert {Rule} raised for {Group}: {Detail}", alert.Rule, WireNames.Of(alert.Group), alert.Detail);
        foreach (var alert in ended)
            logger.LogInformation("Alert {Rule} ended for {Group} after {Duration}; peak {Peak}", alert.Rule, WireNames.Of(alert.Group), alert.EndedAt - alert.StartedAt, alert.Peak);
        var openViews = _open.Values.OrderBy(a => a.StartedAt).ThenBy(a => a.Id).Select(AlertView.Of).ToList();
        board.Set(openViews, raised.Select(AlertView.Of).ToList(), ended.Select(AlertView.Of).ToList());
        return openViews;
    }

    private async Task<Dictionary<(DeploymentGroup, Signal), long>> LiveByGroupAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<(DeploymentGroup, Signal), long>();
        foreach (var (name, counts) in metrics.Peek())
        {
            if (await farm.FindAsync(name, cancellationToken) is not { } wiki) continue;
            foreach (var signal in SessionMetrics.Counted)
                if (counts[(int)signal] != 0) result[(wiki.Group, signal)] = result.GetValueOrDefault((wiki.Group, signal)) + counts[(int)signal];
        }
        return result;
    }

    /// <summary>Deletes buckets and ended alerts older than the retention period.</summary>
    public Task<int> SweepAsync(CancellationToken cancellationToken = default) => OneAtATimeAsync(SweepCoreAsync, cancellationToken);

    private async Task<int> SweepCoreAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - _options.Retention;
        var minute = MinuteOf(cutoff);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.MetricBuckets.Where(b => b.Minute < minute).ExecuteDeleteAsync(cancellationToken)
            + await db.Alerts.Where(a => a.EndedAt != null && a.EndedAt < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// The writer's passes share its open alerts and last samples: two at once (the timer's and a caller's) raised the
    /// same alert twice. They take turns.
    /// </summary>
    private async Task<T> OneAtATimeAsync<T>(Func<CancellationToken, Task<T>> pass, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            return await pass(cancellationToken);
        }
        finally
        {
            _turn.Release();
        }
    }
}
