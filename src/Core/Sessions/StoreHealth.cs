using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Counts store failures, and can simulate an outage of the store (the demo farm's
/// <c>store-outage</c> replay) by failing every command until a given time.
/// </summary>
/// <remarks>
/// A failure is logged once per kind per <see cref="SessionOptions.StoreFailureReportInterval"/> (the first with
/// its exception, then a count), and counted per wiki in memory, since nothing can be written to a store that is
/// down. The dashboard hears of the first failure of a wiki at once; <see cref="StoreFailureReporter"/> publishes
/// the counts every interval and writes them as events once the store is back.
/// </remarks>
public sealed class StoreHealth(TimeProvider time, SessionFeed feed, Metrics.SessionMetrics metrics, IOptions<SessionOptions> options, ILogger<StoreHealth> logger) : DbCommandInterceptor
{
    /// <summary>Most wikis counted separately; failures of further wikis are counted under <see cref="OtherWikis"/>.</summary>
    public const int MaxTrackedWikis = 2048;
    public const string OtherWikis = "(other wikis)";

    private readonly LogThrottle _log = new(time, options.Value.StoreFailureReportInterval);
    private readonly ConcurrentDictionary<string, WikiFailures> _pending = new(StringComparer.Ordinal);
    private long _failures;
    private long _outageUntilTicks;

    public long Failures => Interlocked.Read(ref _failures);
    public DateTimeOffset? OutageUntil
    {
        get
        {
            var ticks = Interlocked.Read(ref _outageUntilTicks);
            return ticks > time.GetUtcNow().UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        }
    }

    public void SimulateOutage(TimeSpan duration) =>
        Interlocked.Exchange(ref _outageUntilTicks, time.GetUtcNow().Add(duration).UtcTicks);

    public void EndOutage() => Interlocked.Exchange(ref _outageUntilTicks, 0);

    /// <summary>
    /// Runs a store operation of <paramref name="wiki"/>. A store failure becomes a clear, counted error that says
    /// nothing was changed (<paramref name="refusal"/>): never a crash, never a silently new session
    /// ("Can neither load the session nor create an empty session", T124126).
    /// </summary>
    public async Task<T> GuardAsync<T>(string wiki, string refusal, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (IsStoreFailure(ex))
        {
            // Logged once per kind per interval and published per wiki here: an outage fails every request.
            CountFailure(wiki, ex);
            throw new SessionException(Failure.Unavailable, refusal, ex);
        }
    }

    /// <summary>
    /// The one failure filter: the store failed or timed out. A concurrency conflict is not a failure of the store but a
    /// lost race its caller answers (a 409).
    /// </summary>
    public static bool IsStoreFailure(Exception ex) => ex is DbException or DbUpdateException && ex is not DbUpdateConcurrencyException || ex is TimeoutException;

    /// <summary>Counts a failed request of <paramref name="wiki"/>; logs it if it is the first of its kind in the interval.</summary>
    public void CountFailure(string wiki, Exception? exception = null)
    {
        Interlocked.Increment(ref _failures);
        wiki = BoundedText.Cut(wiki, SessionNotice.MaxName) ?? "";
        if (!_pending.ContainsKey(wiki) && _pending.Count >= MaxTrackedWikis) wiki = OtherWikis;
        metrics.Count(wiki, Metrics.Signal.StoreFailures);

        var now = time.GetUtcNow();
        var pending = _pending.GetOrAdd(wiki, _ => new WikiFailures());
        if (Interlocked.Increment(ref pending.Count) == 1)
        {
            Interlocked.Exchange(ref pending.SinceTicks, now.UtcTicks);
            feed.Publish(new SessionNotice(SessionEventKind.StoreFailure, now, wiki, null, null, null, "The session store failed"));
        }

        var kind = KindOf(exception);
        if (_log.Count(kind, out var held))
        {
            if (held > 0) LogHeld(kind, held);
            logger.LogError(exception, "Session store failure ({FailureKind}) on {Wiki}; further failures of this kind are counted and logged once every {Interval}",
                kind, wiki, _log.Interval);
        }
    }

    /// <summary>Logs how many failures of each kind were held back in intervals that have closed.</summary>
    public void LogHeldFailures()
    {
        foreach (var (kind, held) in _log.TakeClosed()) LogHeld(kind, held);
    }

    private void LogHeld(string kind, long held) =>
        logger.LogError("Session store failure ({FailureKind}) happened {Count} more times in the last {Interval}", kind, held, _log.Interval);

    /// <summary>Failures per wiki since they were last written to the store, with when the first of them happened.</summary>
    public IReadOnlyList<(string Wiki, long Count, DateTimeOffset Since)> Pending() =>
        _pending.Select(p => (p.Key, Interlocked.Read(ref p.Value.Count), new DateTimeOffset(Interlocked.Read(ref p.Value.SinceTicks), TimeSpan.Zero)))
            .Where(p => p.Item2 > 0).ToList();

    /// <summary>Forgets <paramref name="count"/> failures of <paramref name="wiki"/> once they are written down.</summary>
    public void Recorded(string wiki, long count)
    {
        // Entries stay (at most MaxTrackedWikis of them), so a failure racing this one is never lost.
        if (_pending.TryGetValue(wiki, out var pending)) Interlocked.Add(ref pending.Count, -count);
    }

    private static string KindOf(Exception? exception)
    {
        var root = exception is DbUpdateException { InnerException: { } inner } ? inner : exception;
        return root switch
        {
            null => "unknown",
            Microsoft.Data.Sqlite.SqliteException sqlite => $"SqliteException {sqlite.SqliteErrorCode}",
            DbException { SqlState: { Length: > 0 } state } => $"{root.GetType().Name} {state}",
            _ => root.GetType().Name,
        };
    }

    private void ThrowIfDown()
    {
        if (OutageUntil is { } until)
            throw new SimulatedOutageException($"The session store is unavailable (simulated outage until {until:HH:mm:ss} UTC).");
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    { ThrowIfDown(); return result; }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    { ThrowIfDown(); return ValueTask.FromResult(result); }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    { ThrowIfDown(); return result; }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    { ThrowIfDown(); return ValueTask.FromResult(result); }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    { ThrowIfDown(); return result; }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    { ThrowIfDown(); return ValueTask.FromResult(result); }

    private sealed class WikiFailures
    {
        public long Count;
        public long SinceTicks;
    }
}

public sealed class SimulatedOutageException(string message) : DbException(message);
