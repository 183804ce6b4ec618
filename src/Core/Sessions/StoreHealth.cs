using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Counts store failures, and can simulate an outage of the store (the demo farm's
/// <c>store-outage</c> replay) by failing every command until a given time.
/// </summary>
public sealed class StoreHealth(TimeProvider time) : DbCommandInterceptor
{
    private static readonly Meter Meter = new("WikiSessions.Store");
    private static readonly Counter<long> FailureCounter = Meter.CreateCounter<long>("wikisessions.store.failures");
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

    public void CountFailure(string wiki)
    {
        Interlocked.Increment(ref _failures);
        FailureCounter.Add(1, new KeyValuePair<string, object?>("wiki", wiki));
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
}

public sealed class SimulatedOutageException(string message) : DbException(message);
