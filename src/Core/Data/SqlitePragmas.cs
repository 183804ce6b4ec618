using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WikiSessions.Core.Data;

/// <summary>
/// In WAL mode, <c>synchronous=NORMAL</c> cannot corrupt the file; it only risks the last commits on power loss,
/// which for sessions means a user logs in again. It removes an fsync from every commit.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    /// <summary>The WAL's size, in pages, past which a commit checkpoints it itself: 64 MiB at SQLite's 4 KiB pages.</summary>
    public const int WalAutocheckpointPages = 16384;

    /// <summary>How long a statement waits inside SQLite for a locked store before Microsoft.Data.Sqlite's own retries take over.</summary>
    public const int BusyTimeoutMs = 5000;

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    internal static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        // Checkpoints run in the background (SqliteCheckpointer); a commit checkpoints itself only past 64 MiB of WAL, as a
        // backstop. Inline at the default 1,000 pages, the commit that crossed it paid for copying and syncing everyone's
        // pages: 400 of the 420 ms of a steward's invalidation of a user with 1,000 sessions at two million sessions.
        // busy_timeout: a statement that finds the store locked waits in SQLite until the lock is free (its back-off starts
        // at 1 ms). Without it Microsoft.Data.Sqlite sleeps 150 ms a try, on a pool thread: one of the two cores' workers
        // asleep, which stalled every request behind it.
        command.CommandText = $"PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint={WalAutocheckpointPages}; PRAGMA busy_timeout={BusyTimeoutMs};";
        command.ExecuteNonQuery();
    }
}

/// <summary>
/// What SQLite's planner cannot guess without statistics (the product never runs ANALYZE): that "Epoch = ?" is not
/// selective. By default SQLite assumes an equality on an indexed column finds about ten rows, so it read a million
/// sessions through the epoch index for an IP filter or a user's post-action check. One row of sqlite_stat1 says an
/// epoch holds a quarter of the rows: less selective than an IP range, a user or a wiki, so those win, yet still
/// the way to the few rows of a new epoch (the post-check of invalidate-everyone, which also bounds the row ID).
/// </summary>
public static class SqlitePlanner
{
    public const string Hints = """
        PRAGMA analysis_limit=100;
        ANALYZE "Farm";
        DELETE FROM sqlite_stat1 WHERE tbl = 'Sessions' AND idx = 'IX_Sessions_Epoch';
        INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('Sessions', 'IX_Sessions_Epoch', '1000000 250000');
        """;

    /// <summary>Called from the migration that adds the store's counters and indexes; SQL Server keeps its own statistics.</summary>
    public static void Apply(MigrationBuilder migrationBuilder)
    {
        if (migrationBuilder.ActiveProvider == "Microsoft.EntityFrameworkCore.Sqlite") migrationBuilder.Sql(Hints);
    }
}

/// <summary>Copies the WAL into the store file every second, off the requests' path (see <see cref="SqlitePragmas"/>).</summary>
/// <remarks>PASSIVE: it never waits for a reader or blocks a writer; what it cannot copy now it copies on a later tick.</remarks>
public sealed class SqliteCheckpointer(IDbContextFactory<SessionsDb> dbFactory, TimeProvider time, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(stoppingToken);
                await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(PASSIVE);", stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogDebug(ex, "A WAL checkpoint failed; the next one runs in {Interval}", Interval);
            }
        }
    }
}
