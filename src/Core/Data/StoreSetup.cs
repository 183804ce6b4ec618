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
            // WAL lets readers go on while a writer commits; the setting is stored in the file.
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
        await db.Database.MigrateAsync(cancellationToken);
        await SeedLoader.SeedAsync(db, seedFolder, time, logger, cancellationToken);
    }
}
