using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WikiSessions.Core.Data;

/// <summary>What went wrong with the store, in words an operator can act on, and how SQLite connections recover from it.</summary>
public static class StoreFaults
{
    // SQLite's primary result codes (https://sqlite.org/rescode.html).
    private const int Busy = 5, Locked = 6, ReadOnly = 8, IoError = 10, Corrupt = 11, CantOpen = 14, Constraint = 19, NotADatabase = 26;

    /// <summary>The cause of a store failure, or null when <paramref name="exception"/> holds none we can name.</summary>
    public static string? Describe(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SqliteException sqlite)
                return sqlite.SqliteErrorCode switch
                {
                    Busy or Locked => "The store is locked by another connection (SQLite busy); writes wait and then give up.",
                    ReadOnly => "The store file is read-only: sessions can be read but not written.",
                    CantOpen => "The store file cannot be opened: it is missing, moved or not readable.",
                    IoError => "The store file could not be read or written (I/O error): check the disk and the file's permissions.",
                    Corrupt or NotADatabase => "The store file is damaged or is not a session store.",
                    _ => $"The store refused the query (SQLite error {sqlite.SqliteErrorCode}: {sqlite.Message}).",
                };
            if (e is TimeoutException) return "The store did not answer in time.";
            if (e is DbException db) return db.Message;
        }
        return null;
    }

    /// <summary>
    /// A row with the same unique key was committed by a concurrent writer first: a lost race the caller can answer by
    /// reading what won, not a failure of the store. Only server databases with concurrent writers meet it (SQLite's one
    /// writer reads the winner before it inserts).
    /// </summary>
    public static bool IsDuplicateKey(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SqliteException sqlite: return sqlite.SqliteExtendedErrorCode is 1555 or 2067; // PRIMARYKEY, UNIQUE
                case Npgsql.PostgresException postgres: return postgres.SqlState == Npgsql.PostgresErrorCodes.UniqueViolation;
                case Microsoft.Data.SqlClient.SqlException sql: return sql.Number is 2601 or 2627;
            }
        }
        return false;
    }

    /// <summary>
    /// A pooled SQLite connection keeps the file it opened: after the file was made read-only, moved or damaged, it would
    /// go on failing (or writing to a file nobody reads) after the store is back. A failure of that kind empties the
    /// pool, so the next request opens the store as it is now; a busy store or a refused row keeps its connections.
    /// </summary>
    public sealed class PoolRecovery : DbCommandInterceptor
    {
        public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Recover(command, eventData.Exception);

        public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            Recover(command, eventData.Exception);
            return Task.CompletedTask;
        }

        private static void Recover(DbCommand command, Exception exception)
        {
            if (command.Connection is SqliteConnection connection) StoreFaults.Recover(connection, exception);
        }
    }

    /// <summary>Empties the pool of <paramref name="connection"/>'s store after a failure that a pooled connection would keep (see <see cref="PoolRecovery"/>).</summary>
    internal static void Recover(SqliteConnection connection, Exception exception)
    {
        if (exception is SqliteException { SqliteErrorCode: not (Busy or Locked or Constraint) }) SqliteConnection.ClearPool(connection);
    }
}
