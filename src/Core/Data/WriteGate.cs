using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace WikiSessions.Core.Data;

/// <summary>
/// SQLite takes one writer at a time, and a writer that finds the store locked is put to sleep for up to 150 ms
/// before it tries again (Microsoft.Data.Sqlite's retry), so concurrent logins spent most of their time asleep. The
/// app's write transactions queue here instead, in process, and each finds the store free. SQL Server takes
/// concurrent writers itself: there the gate lets everyone through.
/// </summary>
public sealed class WriteGate
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _serialize;
    private long _turns;
    private long _heldTicks;

    /// <param name="meters">Where the write turns are counted: how much of the time the store's one writer is busy, the limit of every write path.</param>
    public WriteGate(bool serialize, IMeterFactory meters)
    {
        _serialize = serialize;
        var meter = meters.Create(Metrics.SessionMetrics.MeterName);
        meter.CreateObservableCounter("wikisessions.store.write_transactions", () => Interlocked.Read(ref _turns), description: "Write transactions of the app.");
        meter.CreateObservableCounter("wikisessions.store.write_transaction_time", () => Interlocked.Read(ref _heldTicks) / (double)Stopwatch.Frequency, "s",
            "Time the app's write transactions held the store, from their begin to their end.");
    }

    /// <summary>Begins a write transaction on <paramref name="db"/> once it is this transaction's turn.</summary>
    public async Task<Transaction> BeginAsync(DbContext db, CancellationToken cancellationToken)
    {
        if (_serialize) await _gate.WaitAsync(cancellationToken);
        try
        {
            return new Transaction(await db.Database.BeginTransactionAsync(cancellationToken), this, Stopwatch.GetTimestamp());
        }
        catch
        {
            if (_serialize) _gate.Release();
            throw;
        }
    }

    /// <summary>A write transaction holding its turn until it is disposed.</summary>
    public sealed class Transaction(IDbContextTransaction inner, WriteGate gate, long started) : IAsyncDisposable
    {
        public Task CommitAsync(CancellationToken cancellationToken) => inner.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            try
            {
                await inner.DisposeAsync();
            }
            finally
            {
                Interlocked.Increment(ref gate._turns);
                Interlocked.Add(ref gate._heldTicks, Stopwatch.GetTimestamp() - started);
                if (gate._serialize) gate._gate.Release();
            }
        }
    }
}
