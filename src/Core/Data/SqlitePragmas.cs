using System.Data.Common;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WikiSessions.Core.Data;

/// <summary>
/// In WAL mode, <c>synchronous=NORMAL</c> cannot corrupt the file; it only risks the last commits on power loss,
/// which for sessions means a user logs in again. It removes an fsync from every commit.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL;";
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
