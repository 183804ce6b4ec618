using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WikiSessions.Core;
using WikiSessions.Core.Data;
using WikiSessions.Core.Seeding;

namespace WikiSessions.Testing;

/// <summary>
/// The seeded farm as a real SQLite file. Migrating and seeding take seconds, so it is done once per test run
/// into a template file, and each test (or app instance) gets its own copy.
/// </summary>
public static class SeededStore
{
    private static readonly Lazy<Task<string>> Template = new(CreateTemplateAsync);

    public static string SeedFolder { get; } = SeedLoader.FindSeedFolder(null, AppContext.BaseDirectory);

    /// <summary>When the template was seeded: a fixed instant, so no test depends on the day it runs.</summary>
    public static readonly DateTimeOffset SeededAt = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A clock stopped at <see cref="SeededAt"/>, for seeding a template on any store.</summary>
    public static TimeProvider SeedClock { get; } = new FixedClock(SeededAt);

    /// <summary>A new copy of the seeded farm; <paramref name="name"/> tells whose it is in the temp folder.</summary>
    public static async Task<string> CopyAsync(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"wikisessions-{name}-{Guid.NewGuid():N}.db");
        File.Copy(await Template.Value, path);
        return path;
    }

    /// <summary>Deletes a store file and its WAL companions, once no pooled connection holds them.</summary>
    public static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
    }

    /// <summary>
    /// Inserts <paramref name="count"/> active cookie sessions of the current epoch with plain SQL, numbered from
    /// <paramref name="offset"/>: the engine's own login path is not what the caller measures.
    /// </summary>
    public static async Task InsertSessionsAsync(string path, int offset, int count, DateTimeOffset now)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        // Sessions of open wikis and of the users' current tokens: the kind the validity rule counts as active.
        var openWikis = new List<long>();
        await using (var wikis = connection.CreateCommand())
        {
            wikis.CommandText = "SELECT Id FROM Wikis WHERE Status <> 'Closed' ORDER BY Id";
            await using var reader = await wikis.ExecuteReaderAsync();
            while (await reader.ReadAsync()) openWikis.Add(reader.GetInt64(0));
        }
        await using var tx = connection.BeginTransaction();
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = """
            INSERT INTO Sessions (IdHash, Handle, WikiId, UserId, Provider, Origin, CreatedAt, LastActivityAt, ExpiresAt, Remember,
                Metadata, Data, DataVersion, Epoch, CookiesSet, UserToken)
            VALUES ($hash, $handle, $wiki, $user, 'Cookie', 'Login', $now, $now, $expires, 0, '{}', '{}', 1, (SELECT Epoch FROM Farm), '', (SELECT Token FROM Users WHERE Id = $user))
            """;
        var hash = command.Parameters.Add("$hash", SqliteType.Text);
        var handle = command.Parameters.Add("$handle", SqliteType.Text);
        var wiki = command.Parameters.Add("$wiki", SqliteType.Integer);
        var user = command.Parameters.Add("$user", SqliteType.Integer);
        command.Parameters.AddWithValue("$now", now.UtcTicks);
        command.Parameters.AddWithValue("$expires", now.AddMinutes(30).UtcTicks);
        for (var i = offset; i < offset + count; i++)
        {
            hash.Value = $"{i:x64}";
            handle.Value = $"{i:x16}";
            wiki.Value = openWikis[i % openWikis.Count];
            user.Value = 10 + i % 2500;
            await command.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
    }

    /// <summary>Replaces the demo credentials in a copy, as <c>rotate-credentials</c> does, so Production may start on it.</summary>
    public static async Task<DemoCredentials> RotateCredentialsAsync(string path)
    {
        var configuration = Configuration(path);
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
        services.AddCore(configuration, Path.GetTempPath());
        await using var provider = services.BuildServiceProvider();
        return await DemoCredentialGuard.RotateAsync(provider.GetRequiredService<IDbContextFactory<SessionsDb>>());
    }

    public static IConfiguration Configuration(string path) => new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Sessions"] = $"Data Source={path}" }).Build();

    private static async Task<string> CreateTemplateAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wikisessions-template-{Guid.NewGuid():N}.db");
        var configuration = Configuration(path);
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
        services.AddCore(configuration, Path.GetTempPath());
        await using (var provider = services.BuildServiceProvider())
        {
            var factory = provider.GetRequiredService<IDbContextFactory<SessionsDb>>();
            await StoreSetup.MigrateAndSeedAsync(factory, SeedFolder, new FixedClock(SeededAt), NullLogger.Instance);
            await using var db = await factory.CreateDbContextAsync();
            await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        SqliteConnection.ClearAllPools();
        return path;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
