using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Data;

/// <summary>How many rows of one table a copy moved.</summary>
public sealed record CopiedTable(string Table, int Rows);

/// <summary>
/// Moves a farm from its SQLite file to PostgreSQL: every row of every table with its keys, so every session, token,
/// trace and audit entry means on the server what it meant in the file (what had ended stays ended, what was valid
/// stays valid with the same server key). One transaction: the target holds the whole copy or none of it.
/// </summary>
/// <remarks>
/// The target must hold nothing but what a first start seeded (no session, central session, audit entry or staff
/// login): the seed is replaced by the file's rows. Per-wiki counters are derived, so they are counted afresh, and the
/// identity sequences start after the copied keys.
/// </remarks>
public static class StoreCopy
{
    /// <summary>How long one statement of the copy may take: a farm's sessions table is one COPY.</summary>
    private static readonly TimeSpan Long = TimeSpan.FromHours(1);

    public static async Task<IReadOnlyList<CopiedTable>> CopyAsync(SessionsDb source, SessionsDb target, Action<CopiedTable>? copied = null,
        CancellationToken cancellationToken = default)
    {
        if (!source.Database.IsSqlite() || !target.Database.IsNpgsql())
            throw new SessionException(Failure.Invalid, "A store copy goes from a SQLite file to PostgreSQL: run it with Database:Provider=PostgreSql and --from the SQLite file.");
        var expected = Name(target.Database.GetMigrations().Last());
        var (at, pending) = (Name((await source.Database.GetAppliedMigrationsAsync(cancellationToken)).LastOrDefault()), (await target.Database.GetPendingMigrationsAsync(cancellationToken)).Count());
        if (at != expected || pending > 0)
            throw new SessionException(Failure.Conflict, $"The SQLite file is at migration '{at ?? "none"}' and this build at '{expected}': start this build on the file once " +
                "(it migrates it at start-up), stop it, then copy.");
        var used = new (string What, int Count)[]
        {
            ("sessions", await target.Sessions.CountAsync(cancellationToken)),
            ("central sessions", await target.CentralSessions.CountAsync(cancellationToken)),
            ("audit entries", await target.Audit.CountAsync(cancellationToken)),
            ("staff logins", await target.StaffSessions.CountAsync(cancellationToken)),
        }.Where(u => u.Count > 0).ToList();
        if (used.Count > 0)
            throw new SessionException(Failure.Conflict, $"The PostgreSQL database already holds {string.Join(", ", used.Select(u => $"{u.Count:N0} {u.What}"))}: " +
                "copy into a new, empty database (the app migrates and seeds it on its first start), never over a farm in use.");

        var tables = InForeignKeyOrder(target.Model);
        target.Database.SetCommandTimeout(Long);
        var result = new List<CopiedTable>();
        await using var transaction = await target.Database.BeginTransactionAsync(cancellationToken);
        // Table and column names below come from the model, never from input.
        foreach (var table in Enumerable.Reverse(tables))
        {
            var delete = $"DELETE FROM \"{table.GetTableName()}\"";
            await target.Database.ExecuteSqlRawAsync(delete, cancellationToken);
        }
        foreach (var table in tables.Where(t => t.ClrType != typeof(WikiSessionCount)))
        {
            var rows = await (Task<int>)typeof(StoreCopy).GetMethod(nameof(CopyRowsAsync), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(table.ClrType).Invoke(null, [source, target, table, cancellationToken])!;
            if (table.FindPrimaryKey()!.Properties is [{ ValueGenerated: ValueGenerated.OnAdd } key])
            {
                var (name, column) = (table.GetTableName(), key.GetColumnName());
                var restart = $"SELECT setval(pg_get_serial_sequence('\"{name}\"', '{column}'), GREATEST(COALESCE(MAX(\"{column}\"), 0), 1), MAX(\"{column}\") IS NOT NULL) FROM \"{name}\"";
                await target.Database.ExecuteSqlRawAsync(restart, cancellationToken);
            }
            var done = new CopiedTable(table.GetTableName()!, rows);
            result.Add(done);
            copied?.Invoke(done);
        }
        await target.Database.ExecuteSqlRawAsync(SessionCounters.RecountPostgreSql, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// One table through PostgreSQL's binary COPY, streamed from SQLite row by row: at farm scale an INSERT per row took
    /// about 4 minutes a million rows. Each value goes in as the model stores it (its converter applied: times as ticks, enums as names).
    /// </summary>
    private static async Task<int> CopyRowsAsync<T>(SessionsDb source, SessionsDb target, IEntityType table, CancellationToken cancellationToken) where T : class
    {
        var columns = table.GetProperties().Select(p => (
            Get: p.GetGetter(), Converter: p.GetTypeMapping().Converter, Name: p.GetColumnName(),
            // "character varying(85)" goes in as "character varying": the length is the column's, checked on the way in.
            Type: p.GetColumnType().Split('(')[0])).ToList();
        var connection = (NpgsqlConnection)target.Database.GetDbConnection();
        var copy = $"COPY \"{table.GetTableName()}\" ({string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)";
        await using var import = await connection.BeginBinaryImportAsync(copy, cancellationToken);
        // Completing a table of millions of rows waits for its indexes and counters: far past a command's 30 seconds.
        import.Timeout = Long;
        var rows = 0;
        await foreach (var row in source.Set<T>().AsNoTracking().AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            await import.StartRowAsync(cancellationToken);
            foreach (var column in columns)
            {
                var value = column.Get.GetClrValue(row);
                if (value is not null && column.Converter is { } converter) value = converter.ConvertToProvider(value);
                if (value is null) await import.WriteNullAsync(cancellationToken);
                else await import.WriteAsync(value, column.Type, cancellationToken);
            }
            rows++;
        }
        await import.CompleteAsync(cancellationToken);
        return rows;
    }

    /// <summary>Every table after the tables its foreign keys point to.</summary>
    private static List<IEntityType> InForeignKeyOrder(IModel model)
    {
        var ordered = new List<IEntityType>();
        var left = model.GetEntityTypes().Where(t => t.GetTableName() is not null).ToList();
        while (left.Count > 0)
        {
            var ready = left.Where(t => t.GetForeignKeys().All(fk => fk.PrincipalEntityType == t || ordered.Contains(fk.PrincipalEntityType))).ToList();
            if (ready.Count == 0) throw new InvalidOperationException($"The foreign keys of {string.Join(", ", left.Select(t => t.GetTableName()))} form a cycle.");
            ordered.AddRange(ready);
            left.RemoveAll(ready.Contains);
        }
        return ordered;
    }

    /// <summary>A migration's name without its timestamp: each provider's migrations have their own IDs.</summary>
    private static string? Name(string? migration) => migration?[(migration.IndexOf('_') + 1)..];
}
