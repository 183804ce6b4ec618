using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace WikiSessions.Core.Data;

/// <summary>
/// The app's write transactions take their turn here. SQLite takes one writer at a time, and a writer that finds the
/// store locked is put to sleep for up to 150 ms before it tries again (Microsoft.Data.Sqlite's retry), so writes
/// queue in process instead; and since a commit's cost is mostly writing the pages it changed (the shared index pages
/// of <c>Sessions</c> above all), the writes that queued commit together: each takes its turn inside one open
/// transaction, in a savepoint of its own, and the last of them commits for all (group commit). A write is answered
/// only once the commit holding it is done, so nothing is acknowledged that a crash could lose. Server databases take
/// concurrent writers themselves: there each write has its own transaction and the gate lets everyone through.
/// </summary>
/// <remarks>
/// A write that fails rolls back to its savepoint and leaves the others of its batch as they were; a commit that fails
/// fails every write it held, and none of them is half applied. While a write holds the turn its context runs on the
/// batch's connection, so it reads what the writes before it in the batch changed, as it would have read them
/// committed.
/// </remarks>
public sealed class WriteGate
{
    /// <summary>
    /// At most this many writes in one commit: past it the turn holder commits even with writes waiting, so the first
    /// write of a batch waits for at most this many turns.
    /// </summary>
    public const int MaxBatch = 32;

    /// <summary>A write batch's page cache, in KiB (a negative cache_size is KiB), and SQLite's default that readers keep.</summary>
    private const int WriteCacheKib = -65536, DefaultCacheKib = -2000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _serialize;
    private int _waiting;
    private Batch? _open;
    private long _turns;
    private long _heldTicks;
    private long _commits;

    /// <param name="serialize">SQLite: one writer, writes committed together. False for server databases.</param>
    /// <param name="meters">Where the write turns are counted: how much of the time the store's one writer is busy, the limit of every write path.</param>
    public WriteGate(bool serialize, IMeterFactory meters)
    {
        _serialize = serialize;
        var meter = meters.Create(Metrics.SessionMetrics.MeterName);
        meter.CreateObservableCounter("wikisessions.store.write_transactions", () => Interlocked.Read(ref _turns), description: "Write transactions of the app.");
        meter.CreateObservableCounter("wikisessions.store.write_transaction_time", () => Interlocked.Read(ref _heldTicks) / (double)Stopwatch.Frequency, "s",
            "Time the app's write transactions held the store, from their begin to their end.");
        meter.CreateObservableCounter("wikisessions.store.write_commits", () => Interlocked.Read(ref _commits),
            description: "Commits of the app's write transactions; on SQLite one commit holds the writes that queued together.");
    }

    /// <summary>Writes waiting for their turn (for tests that line writes up behind one holding the turn).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Commits so far (on SQLite, batches).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>Begins a write transaction on <paramref name="db"/> once it is this transaction's turn.</summary>
    public async Task<Transaction> BeginAsync(DbContext db, CancellationToken cancellationToken)
    {
        if (!_serialize) return new Transaction(this, await db.Database.BeginTransactionAsync(cancellationToken), null, null);

        Interlocked.Increment(ref _waiting);
        // Not cancelled while waiting: a write counted as waiting may be handed the open batch, which then needs it to
        // end its turn (and commit); a cancelled write takes its turn and ends it at once.
        await _gate.WaitAsync(CancellationToken.None);
        Interlocked.Decrement(ref _waiting);
        var started = Stopwatch.GetTimestamp();
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            _open ??= await Batch.BeginAsync(db.Database.GetConnectionString()!, cancellationToken);
            var member = await _open.JoinAsync(db, cancellationToken);
            return new Transaction(this, null, member, db) { Started = started };
        }
        catch
        {
            Count(started);
            await EndTurnAsync();
            throw;
        }
    }

    /// <summary>
    /// Hands the turn to the next waiting write, which joins the open batch; or, with none waiting, the batch full or
    /// broken, ends the batch (commits it, or fails each of its writes) and frees the gate for a new one.
    /// </summary>
    private async Task EndTurnAsync()
    {
        var batch = _open;
        if (batch is { Broken: false, Members: < MaxBatch } && Volatile.Read(ref _waiting) > 0)
        {
            _gate.Release();
            return;
        }
        _open = null;
        try
        {
            if (batch is not null && await batch.EndAsync()) Interlocked.Increment(ref _commits);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Count(long started)
    {
        Interlocked.Increment(ref _turns);
        Interlocked.Add(ref _heldTicks, Stopwatch.GetTimestamp() - started);
    }

    /// <summary>A write transaction holding its turn until it is committed or disposed.</summary>
    public sealed class Transaction : IAsyncDisposable
    {
        private readonly WriteGate _gate;
        private readonly IDbContextTransaction? _own;
        private readonly Member? _member;
        private readonly DbContext? _db;
        private bool _turnEnded;

        internal Transaction(WriteGate gate, IDbContextTransaction? own, Member? member, DbContext? db) => (_gate, _own, _member, _db) = (gate, own, member, db);

        internal long Started { get; init; } = Stopwatch.GetTimestamp();

        /// <summary>Commits; on SQLite returns once the batch holding this write is committed, and throws if it could not be.</summary>
        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            if (_own is not null)
            {
                await _own.CommitAsync(cancellationToken);
                return;
            }
            var member = _member!;
            await member.ReleaseAsync(_db!);
            await EndTurnAsync();
            // Acknowledged only when durable: the caller evicts, publishes and answers after this.
            await member.Batch.Committed;
        }

        public async ValueTask DisposeAsync()
        {
            if (_own is not null)
            {
                try
                {
                    await _own.DisposeAsync();
                }
                finally
                {
                    _gate.Count(Started);
                }
                return;
            }
            if (_turnEnded) return;
            try
            {
                // Not committed: only this write's changes go, back to its savepoint.
                await _member!.RollBackAsync(_db!);
            }
            finally
            {
                await EndTurnAsync();
            }
        }

        private async Task EndTurnAsync()
        {
            if (_turnEnded) return;
            _turnEnded = true;
            _gate.Count(Started);
            await _gate.EndTurnAsync();
        }
    }

    /// <summary>One write's part of a batch: its savepoint, and the connection its context goes back to after its turn.</summary>
    internal sealed class Member(Batch batch, string savepoint, string connectionString)
    {
        public Batch Batch { get; } = batch;
        private bool _done;

        public async Task ReleaseAsync(DbContext db)
        {
            try
            {
                await Batch.ExecuteAsync($"RELEASE \"{savepoint}\"");
                _done = true;
            }
            finally
            {
                Restore(db);
            }
        }

        public async Task RollBackAsync(DbContext db)
        {
            try
            {
                if (!_done) await Batch.ExecuteAsync($"ROLLBACK TO \"{savepoint}\"; RELEASE \"{savepoint}\"");
                _done = true;
            }
            catch (Exception ex)
            {
                // The transaction itself is gone (SQLite rolls back the whole of it on some errors): so are the writes
                // before this one in the batch, which must not be acknowledged.
                Batch.Break(ex);
            }
            finally
            {
                Restore(db);
            }
        }

        /// <summary>The context gets a connection of its own again, for what its caller reads after the write.</summary>
        private void Restore(DbContext db)
        {
            if (ReferenceEquals(db.Database.GetDbConnection(), Batch.Connection))
                db.Database.SetDbConnection(new SqliteConnection(connectionString), contextOwnsConnection: true);
        }
    }

    /// <summary>An open SQLite transaction that the queued writes share, on a connection of its own.</summary>
    internal sealed class Batch
    {
        private readonly TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly SqliteTransaction _transaction;
        private Exception? _failure;

        private Batch(SqliteConnection connection, SqliteTransaction transaction) => (Connection, _transaction) = (connection, transaction);

        public SqliteConnection Connection { get; }
        public int Members { get; private set; }
        public bool Broken => _failure is not null;
        public Task Committed => _committed.Task;

        public static async Task<Batch> BeginAsync(string connectionString, CancellationToken cancellationToken)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken);
                SqlitePragmas.Apply(connection);
                // Each write's savepoint keeps the pages it changes in a sub-journal, for its rollback: in memory, not a temp file.
                // A batch may end ten thousand sessions (a bulk revoke, a sweep): in SQLite's default 2 MB page cache their
                // rows and index pages spill to the WAL before the commit, which doubled the time a row took at two million
                // sessions. The larger cache holds only while the batch does (EndAsync puts the default back for readers).
                await using (var command = connection.CreateCommand())
                {
                    command.CommandText = $"PRAGMA temp_store=MEMORY; PRAGMA cache_size={WriteCacheKib};";
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
                // IMMEDIATE: the write lock now, so no statement of the batch meets a busy store half way.
                return new Batch(connection, connection.BeginTransaction(deferred: false));
            }
            catch (Exception ex)
            {
                StoreFaults.Recover(connection, ex);
                await connection.DisposeAsync();
                throw;
            }
        }

        /// <summary>Opens this write's savepoint and moves <paramref name="db"/> onto the batch's connection and transaction.</summary>
        public async Task<Member> JoinAsync(DbContext db, CancellationToken cancellationToken)
        {
            var connectionString = db.Database.GetConnectionString()!;
            var savepoint = $"w{++Members}";
            try
            {
                await ExecuteAsync($"SAVEPOINT \"{savepoint}\"");
            }
            catch (Exception ex)
            {
                Break(ex);
                throw;
            }
            var member = new Member(this, savepoint, connectionString);
            db.Database.SetDbConnection(Connection, contextOwnsConnection: false);
            try
            {
                await db.Database.UseTransactionAsync(_transaction, cancellationToken);
            }
            catch
            {
                await member.RollBackAsync(db);
                throw;
            }
            return member;
        }

        public async Task ExecuteAsync(string sql)
        {
            await using var command = Connection.CreateCommand();
            command.Transaction = _transaction;
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }

        public void Break(Exception failure) => _failure ??= failure;

        /// <summary>Back to SQLite's default page cache before the connection returns to the pool, where readers take it.</summary>
        private async Task ResetCacheAsync()
        {
            try
            {
                await using var command = Connection.CreateCommand();
                command.CommandText = $"PRAGMA cache_size={DefaultCacheKib};";
                await command.ExecuteNonQueryAsync();
            }
            catch (Exception ex) when (ex is SqliteException or InvalidOperationException)
            {
                // A broken connection is not pooled again: nothing to put back.
            }
        }

        /// <summary>Commits what the batch holds, or rolls it back when it broke; each of its writes hears which. True when committed.</summary>
        public async Task<bool> EndAsync()
        {
            try
            {
                if (_failure is not null) throw _failure;
                await _transaction.CommitAsync();
                _committed.SetResult();
                return true;
            }
            catch (Exception ex)
            {
                StoreFaults.Recover(Connection, ex);
                _committed.SetException(ex);
                _ = _committed.Task.Exception; // observed, even when no write of the batch is left waiting for it
                return false;
            }
            finally
            {
                await _transaction.DisposeAsync();
                await ResetCacheAsync();
                await Connection.DisposeAsync();
            }
        }
    }
}
