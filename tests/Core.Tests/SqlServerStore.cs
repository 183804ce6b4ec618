using Microsoft.Data.SqlClient;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WikiSessions.Core.Data;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests;

/// <summary>
/// A SQL Server an operator supplies (<see cref="Variable"/>: a connection string whose login may create databases).
/// No SQL Server runs where this suite is developed; with the variable unset, every SQL Server test is skipped and
/// says why. Each test gets a new database, migrated and seeded as the app does at start-up, dropped after.
/// </summary>
public static class SqlServerStore
{
    public const string Variable = "WIKISESSIONS_TEST_SQLSERVER";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Why a SQL Server test did not run (see <see cref="StoreTestFramework"/>).</summary>
    public static string SkipReason => $"SQL Server is not run here: set {Variable} to a SQL Server connection string to run this test on it.";

    public static IConfiguration Configuration(string database) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Database:Provider"] = "SqlServer",
        ["ConnectionStrings:Sessions"] = new SqlConnectionStringBuilder(ConnectionString) { InitialCatalog = database }.ToString(),
    }).Build();

    public static async Task<string> CreateAsync(string name)
    {
        var database = $"wikisessions_{name}_{Guid.NewGuid():N}";
        var configuration = Configuration(database);
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
        services.AddCore(configuration, Path.GetTempPath());
        await using var provider = services.BuildServiceProvider();
        // Migrate creates the database, as it would on an operator's empty server.
        await StoreSetup.MigrateAndSeedAsync(provider.GetRequiredService<IDbContextFactory<SessionsDb>>(), SeededStore.SeedFolder, SeededStore.SeedClock, NullLogger.Instance);
        return database;
    }

    public static async Task DropAsync(string database)
    {
        SqlConnection.ClearAllPools();
        await using var connection = new SqlConnection(new SqlConnectionStringBuilder(ConnectionString) { InitialCatalog = "master" }.ToString());
        await connection.OpenAsync();
        await using var command = new SqlCommand($"ALTER DATABASE [{database}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{database}];", connection);
        await command.ExecuteNonQueryAsync();
    }
}
