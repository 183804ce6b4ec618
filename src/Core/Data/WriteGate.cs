using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace WikiSessions.Core.Data;

/// <summary>
/// SQLite takes one writer at a time, and a writer that finds the store locked is put to sleep for up to 150 ms
/// before it tries again (Microsoft.Data.Sqlite's retry), so concurrent logins spent most of their time asleep. The
/// app's write transactions queue here instead, in process, and each finds the store free. SQL Server takes
/// concurrent writers itself: there the gate lets everyone through.
/// </summary>
public sealed class WriteGate(bool serialize)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Begins a write transaction on <paramref name="db"/> once it is this transaction's turn.</summary>
    public async Task<Transaction> BeginAsync(DbContext db, CancellationToken cancellationToken)
    {
        if (serialize) await _gate.WaitAsync(cancellationToken);
        try
        {
            return new Transaction(await db.Database.BeginTransactionAsync(cancellationToken), serialize ? _gate : null);
        }
        catch
        {
            if (serialize) _gate.Release();
            throw;
        }
    }

    /// <summary>A write transaction holding its turn until it is disposed.</summary>
    public sealed class Transaction(IDbContextTransaction inner, SemaphoreSlim? gate) : IAsyncDisposable
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
                gate?.Release();
            }
        }
    }
}
