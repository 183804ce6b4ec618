using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Seeding;

namespace WikiSessions.Core.Data;

public static class StoreSetup
{
    /// <summary>Applies pending migrations (SQLite in WAL mode) and seeds an empty store.</summary>
    public static async Task MigrateAndSeedAsync(IDbContextFactory<SessionsDb> dbFactory, string seedFolder, TimeProvider time, ILogger logger, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            // The app opens the store without creating it (a missing file while serving is an outage); the first start creates it here.
            var create = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()) { Mode = SqliteOpenMode.ReadWriteCreate };
            if (create.DataSource is not ("" or ":memory:"))
            {
                await using var creating = new SqliteConnection(create.ToString());
                await creating.OpenAsync(cancellationToken);
            }
            // WAL lets readers go on while a writer commits; the setting is stored in the file.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        await db.Database.MigrateAsync(cancellationToken);
        await SeedLoader.SeedAsync(db, seedFolder, time, logger, cancellationToken);
    }
}
