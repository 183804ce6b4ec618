using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard;

/// <summary>
/// Ready when the store takes a write within <see cref="Timeout"/>: a store that answers reads while every
/// write waits on a lock (or a full disk) cannot log anyone in. The write touches the farm row and is rolled back.
/// </summary>
public sealed class StoreHealthCheck(IDbContextFactory<SessionsDb> dbFactory) : IHealthCheck
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // SQLite's "async" calls block while they wait on the lock, and may not see the cancellation: the check runs
            // on the pool, and readiness answers on time anyway.
            var epoch = await Task.Run(() => WriteCheckAsync(cancellationToken), cancellationToken).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy($"Store takes writes; farm epoch {epoch}.");
        }
        catch (TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"The session store did not take a write within {Timeout.TotalSeconds:0} seconds.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("The session store does not answer.", ex);
        }
    }

    private async Task<long> WriteCheckAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        await using var db = await dbFactory.CreateDbContextAsync(timeout.Token);
        db.Database.SetCommandTimeout(Timeout);
        // BEGIN waits for the write lock up to the connection's own timeout (30 seconds by default), not the command's.
        if (db.Database.GetDbConnection() is SqliteConnection sqlite) sqlite.DefaultTimeout = (int)Math.Ceiling(Timeout.TotalSeconds);
        await using var tx = await db.Database.BeginTransactionAsync(timeout.Token);
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(timeout.Token);
        await db.Farm.ExecuteUpdateAsync(u => u.SetProperty(f => f.Epoch, f => f.Epoch), timeout.Token);
        await tx.RollbackAsync(CancellationToken.None);
        return epoch;
    }
}
