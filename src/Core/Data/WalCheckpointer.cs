using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WikiSessions.Core.Data;

/// <summary>
/// Copies SQLite's write-ahead log back into the store in the background, once a second. Left to SQLite, the commit
/// that fills the log past a thousand pages does it, with an fsync, while holding the store's only write turn: every
/// fiftieth login or so waited for it. The connections turn that off (<see cref="SqlitePragmas"/>).
/// </summary>
public sealed class WalCheckpointer(string connectionString, ILogger<WalCheckpointer> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                await using var command = connection.CreateCommand();
                // Passive: never waits for readers or writers; what it cannot copy now it copies next time.
                command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                await command.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (SqliteException ex)
            {
                // The store's own outage handling reports a missing or locked store; this only says the log was not copied.
                logger.LogDebug(ex, "WAL checkpoint skipped");
            }
        }
    }
}
