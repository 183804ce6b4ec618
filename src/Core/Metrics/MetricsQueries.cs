using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Metrics;

/// <summary>
/// One signal over a window: a value per slot, oldest first, at <see cref="MetricSeries.Times"/>; null for a slot in
/// which nothing was stored (the service was not running), which a chart must show as a gap, not as zero.
/// </summary>
public sealed record SignalSeries(Signal Signal, IReadOnlyList<long?> Values)
{
    /// <summary>For a level (active sessions) its newest stored value; for a count, the sum over the window.</summary>
    public long Total => Signal == Signal.Active ? Values.LastOrDefault(v => v is not null) ?? 0 : Values.Sum(v => v ?? 0);
}

/// <summary>Signals of a deployment group, the farm or a wiki over a window, in slots of <see cref="Slot"/>.</summary>
public sealed record MetricSeries(string Scope, TimeSpan Window, TimeSpan Slot, IReadOnlyList<DateTimeOffset> Times, IReadOnlyDictionary<Signal, SignalSeries> Signals)
{
    public SignalSeries this[Signal signal] => Signals[signal];
}

/// <summary>The charts' reads: buckets only (a grouped range read on an index), plus the counts not yet written.</summary>
public sealed class MetricsQueries(IDbContextFactory<SessionsDb> dbFactory, SessionMetrics metrics, FarmDirectory farm, TimeProvider time)
{
    /// <summary>The windows the dashboard offers.</summary>
    public static readonly TimeSpan[] Windows = [TimeSpan.FromHours(1), TimeSpan.FromDays(1), TimeSpan.FromDays(7)];

    /// <summary>Minute slots for an hour, 10-minute slots for a day, hours for a week: at most 168 points a line.</summary>
    public static TimeSpan SlotFor(TimeSpan window) =>
        window <= TimeSpan.FromHours(2) ? TimeSpan.FromMinutes(1) : window <= TimeSpan.FromDays(1) ? TimeSpan.FromMinutes(10) : TimeSpan.FromHours(1);

    /// <summary>A deployment group's signals, or the whole farm's when <paramref name="group"/> is null.</summary>
    public Task<MetricSeries> GroupAsync(DeploymentGroup? group, TimeSpan window, CancellationToken cancellationToken = default) =>
        ReadAsync(group is { } g ? WireNames.Of(g) : "farm", window, db => db.MetricBuckets.Where(b => b.WikiId == null && (group == null || b.Group == group)),
            async name => group is null || (await farm.FindAsync(name, cancellationToken))?.Group == group, null, cancellationToken);

    /// <summary>One wiki's signals; null when there is no such wiki.</summary>
    public async Task<MetricSeries?> WikiAsync(string dbName, TimeSpan window, CancellationToken cancellationToken = default)
    {
        if (await farm.FindAsync(dbName, cancellationToken) is not { } wiki) return null;
        return await ReadAsync(wiki.DbName, window, db => db.MetricBuckets.Where(b => b.WikiId == wiki.Id),
            name => Task.FromResult(name == wiki.DbName), wiki.Id, cancellationToken);
    }

    /// <summary>Alerts, open and ended, newest first; of one deployment group when <paramref name="group"/> is set.</summary>
    public async Task<IReadOnlyList<AlertView>> AlertsAsync(DeploymentGroup? group = null, int take = 200, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var alerts = await db.Alerts.Where(a => group == null || a.Group == group).OrderByDescending(a => a.StartedAt).ThenByDescending(a => a.Id)
            .Take(Math.Clamp(take, 1, 1000)).ToListAsync(cancellationToken);
        return alerts.Select(AlertView.Of).ToList();
    }

    private async Task<MetricSeries> ReadAsync(string scope, TimeSpan window, Func<SessionsDb, IQueryable<MetricBucket>> rows, Func<string, Task<bool>> inScope,
        int? wikiId, CancellationToken cancellationToken)
    {
        var slot = SlotFor(window);
        var width = (long)slot.TotalMinutes;
        var nowMinute = MetricsWriter.MinuteOf(time.GetUtcNow());
        var lastSlot = nowMinute / width;
        var slots = (int)Math.Ceiling(window / slot);
        var firstSlot = lastSlot - slots + 1;
        var from = firstSlot * width;

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Counts add up within a slot; a level (active sessions) takes the slot's highest minute, summed over groups.
        var grouped = await rows(db).Where(b => b.Minute >= from)
            .GroupBy(b => new { b.Group, b.Signal, Slot = b.Minute / width })
            .Select(g => new { g.Key.Group, g.Key.Signal, g.Key.Slot, Sum = g.Sum(b => b.Value), Max = g.Max(b => b.Value) })
            .ToListAsync(cancellationToken);

        // The writer stores every deployment group's active sessions each minute it runs, zeros included: a slot
        // without one is a slot in which nothing was stored, not a quiet one. The newest slot is live.
        var stored = (await db.MetricBuckets.Where(b => b.WikiId == null && b.Signal == Signal.Active && b.Minute >= from)
            .Select(b => b.Minute / width).Distinct().ToListAsync(cancellationToken)).Select(s => (int)(s - firstSlot)).ToHashSet();
        stored.Add(slots - 1);

        var values = Enum.GetValues<Signal>().ToDictionary(s => s, _ => new long[slots]);
        foreach (var row in grouped)
        {
            var i = (int)(row.Slot - firstSlot);
            if (i < 0 || i >= slots) continue;
            values[row.Signal][i] += row.Signal == Signal.Active ? row.Max : row.Sum;
            stored.Add(i); // a count written with a longer flush interval than a minute
        }
        if (wikiId is not null)
        {
            // A wiki's active sessions are written when they change: carry the last value forward, from before the window too.
            var active = values[Signal.Active];
            var present = grouped.Where(r => r.Signal == Signal.Active).Select(r => (int)(r.Slot - firstSlot)).ToHashSet();
            var carried = await rows(db).Where(b => b.Signal == Signal.Active && b.Minute < from).OrderByDescending(b => b.Minute)
                .Select(b => (long?)b.Value).FirstOrDefaultAsync(cancellationToken) ?? 0;
            for (var i = 0; i < slots; i++)
            {
                if (present.Contains(i)) carried = active[i];
                else if (stored.Contains(i)) active[i] = carried;
            }
        }
        // The counts not yet written belong to the newest slot: the chart moves while it happens.
        foreach (var (name, counts) in metrics.Peek())
        {
            if (!await inScope(name)) continue;
            foreach (var signal in SessionMetrics.Counted) values[signal][slots - 1] += counts[(int)signal];
        }

        var times = Enumerable.Range(0, slots).Select(i => MetricsWriter.TimeOf((firstSlot + i) * width)).ToList();
        return new MetricSeries(scope, window, slot, times, values.ToDictionary(v => v.Key,
            v => new SignalSeries(v.Key, v.Value.Select((value, i) => stored.Contains(i) ? value : (long?)null).ToList())));
    }
}
