using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using WikiSessions.Core.Data;
using WikiSessions.Core.Seeding;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests.Data;

/// <summary>What PostgreSQL holds on its own: the migrations, the counters' triggers and the append-only audit log.</summary>
public sealed class PostgreSqlStoreTests
{
    [Fact]
    public void The_PostgreSQL_migrations_match_the_model_and_script_the_triggers()
    {
        using var db = new PostgreSqlDesignTimeFactory().CreateDbContext([]);

        var script = db.GetService<IMigrator>().GenerateScript();

        Assert.False(db.Database.HasPendingModelChanges());
        Assert.Contains("CREATE TRIGGER \"Sessions_CountUpdate\"", script);
        Assert.Contains("CREATE TRIGGER \"Audit_no_change\"", script);
    }

    [Fact]
    public async Task Start_up_migrates_and_seeds_an_empty_database_and_a_second_start_changes_nothing()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateEmptyAsync("startup");
        try
        {
            var configuration = cluster.Configuration(database);
            var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
            services.AddCore(configuration, Path.GetTempPath());
            await using var provider = services.BuildServiceProvider();
            var factory = provider.GetRequiredService<IDbContextFactory<SessionsDb>>();

            await StoreSetup.MigrateAndSeedAsync(factory, SeededStore.SeedFolder, TimeProvider.System, NullLogger.Instance);
            await using var db = await factory.CreateDbContextAsync();
            var wikis = await db.Wikis.CountAsync();
            await StoreSetup.MigrateAndSeedAsync(factory, SeededStore.SeedFolder, TimeProvider.System, NullLogger.Instance);

            Assert.IsType<PostgreSqlSessionsDb>(db);
            Assert.Empty(await db.Database.GetPendingMigrationsAsync());
            Assert.True(wikis > 0);
            Assert.Equal(wikis, await db.Wikis.CountAsync());
        }
        finally
        {
            await cluster.DropAsync(database);
        }
    }

    [Fact]
    public async Task The_audit_log_refuses_updates_and_deletes_in_the_store_itself()
    {
        await using var farm = await TestFarm.StartAsync(store: StoreKind.PostgreSql);
        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, TestFarm.Alice, "test");
        await using var db = farm.Db();
        Assert.True(await db.Audit.AnyAsync());

        var update = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("""UPDATE "Audit" SET "Reason" = 'changed'"""));
        var delete = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("""DELETE FROM "Audit" """));
        var truncate = await Assert.ThrowsAsync<PostgresException>(() => db.Database.ExecuteSqlRawAsync("""TRUNCATE "Audit" """));

        Assert.All([update, delete, truncate], e => Assert.Contains("append-only", e.MessageText));
    }

    [Fact]
    public async Task The_counters_follow_every_kind_of_write_on_the_sessions_table()
    {
        await using var farm = await TestFarm.StartAsync(store: StoreKind.PostgreSql);
        await farm.LoginAsync(TestFarm.Alice, "enwiki");
        await farm.LoginAsync(TestFarm.Bob, "enwiki");
        await farm.LoginAsync(TestFarm.Carol, "dewiki");
        await using var db = farm.Db();

        // One statement that ends sessions of several wikis, one that touches only activity, one that deletes.
        await db.Database.ExecuteSqlRawAsync("""UPDATE "Sessions" SET "LastActivityAt" = "LastActivityAt" + 1""");
        await db.Database.ExecuteSqlRawAsync("""UPDATE "Sessions" SET "EndedAt" = 1 WHERE "EndedAt" IS NULL AND "UserId" IS NOT NULL AND "Id" % 2 = 0""");
        await db.Database.ExecuteSqlRawAsync("""DELETE FROM "Sessions" WHERE "EndedAt" IS NULL AND "Id" % 3 = 0""");

        // The engine's connection and this one write different slots: a count is the sum of its rows, some below zero.
        var counted = await db.SessionCounts.GroupBy(c => new { c.WikiId, c.Epoch, c.Provider, c.Anonymous })
            .Select(g => new { g.Key.WikiId, g.Key.Epoch, g.Key.Provider, g.Key.Anonymous, OpenSessions = g.Sum(c => c.OpenSessions) })
            .Where(c => c.OpenSessions != 0).ToListAsync();
        var actual = await db.Sessions.Where(s => s.EndedAt == null)
            .GroupBy(s => new { s.WikiId, s.Epoch, s.Provider, Anonymous = s.UserId == null })
            .Select(g => new { g.Key.WikiId, g.Key.Epoch, g.Key.Provider, g.Key.Anonymous, OpenSessions = (long)g.Count() }).ToListAsync();
        Assert.NotEmpty(actual);
        Assert.Equal(actual.OrderBy(c => (c.WikiId, c.Epoch, c.Provider, c.Anonymous)), counted.OrderBy(c => (c.WikiId, c.Epoch, c.Provider, c.Anonymous)));
    }
}
