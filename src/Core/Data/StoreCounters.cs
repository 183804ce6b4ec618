using System.Data.Common;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WikiSessions.Core.Data;

/// <summary>
/// Counts the statements the app sends to the store, reads apart from writes: how "reads do not write" and the hot
/// paths' caches are checked (by tests and by the HTTP benchmark, through the meter), not assumed. Transactions are
/// counted too: the engine opens one only to write, so a read path that opens one is a write in waiting.
/// </summary>
public sealed class StoreCounters : DbCommandInterceptor, IDbTransactionInterceptor
{
    private long _reads;
    private long _writes;
    private long _transactions;

    public StoreCounters(IMeterFactory meters)
    {
        var meter = meters.Create(Metrics.SessionMetrics.MeterName);
        meter.CreateObservableCounter("wikisessions.store.reads", () => Reads, description: "Statements that read the session store.");
        meter.CreateObservableCounter("wikisessions.store.writes", () => Writes, description: "Statements that write the session store.");
    }

    public long Reads => Interlocked.Read(ref _reads);
    public long Writes => Interlocked.Read(ref _writes);
    public long Transactions => Interlocked.Read(ref _transactions);

    public DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
    {
        Interlocked.Increment(ref _transactions);
        return result;
    }

    public ValueTask<DbTransaction> TransactionStartedAsync(DbConnection connection, TransactionEndEventData eventData, DbTransaction result,
        CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _transactions);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Count(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Count(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Count(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Count(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Count(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Count(command);
        return ValueTask.FromResult(result);
    }

    private void Count(DbCommand command)
    {
        var text = command.CommandText.AsSpan().TrimStart();
        if (text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("WITH", StringComparison.OrdinalIgnoreCase))
            Interlocked.Increment(ref _reads);
        else if (text.StartsWith("INSERT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("UPDATE", StringComparison.OrdinalIgnoreCase)
                 || text.StartsWith("DELETE", StringComparison.OrdinalIgnoreCase) || text.StartsWith("MERGE", StringComparison.OrdinalIgnoreCase)
                 || text.StartsWith("SET NOCOUNT", StringComparison.OrdinalIgnoreCase))
            Interlocked.Increment(ref _writes);
    }
}
