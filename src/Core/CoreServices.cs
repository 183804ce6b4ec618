using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core;

public static class CoreServices
{
    /// <summary>
    /// Registers the store and the session engine. <c>Database:Provider</c> is <c>Sqlite</c> (default: a file in
    /// <paramref name="dataFolder"/>), <c>SqlServer</c> or <c>PostgreSql</c> (both need <c>ConnectionStrings:Sessions</c>).
    /// </summary>
    public static IServiceCollection AddCore(this IServiceCollection services, IConfiguration configuration, string dataFolder)
    {
        services.AddOptions<SessionOptions>().BindConfiguration("Sessions").ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(configuration);
        services.AddSingleton<Metrics.SessionMetrics>();
        services.AddSingleton<StoreHealth>();
        services.AddSingleton<IInterceptor>(sp => sp.GetRequiredService<StoreHealth>());
        services.AddMetrics();
        services.AddSingleton<StoreCounters>();
        services.AddSingleton<IInterceptor>(sp => sp.GetRequiredService<StoreCounters>());

        var provider = configuration["Database:Provider"] ?? "Sqlite";
        var connectionString = configuration.GetConnectionString("Sessions");
        if (provider.Equals("SqlServer", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new InvalidOperationException("Database:Provider is SqlServer but ConnectionStrings:Sessions is not set; set it to the SQL Server connection string.");
            services.AddDbContextFactory<SqlServerSessionsDb>((sp, o) => Common(o.UseSqlServer(connectionString), sp));
            services.AddSingleton<IDbContextFactory<SessionsDb>, DerivedFactory<SqlServerSessionsDb>>();
            services.AddSingleton(sp => new WriteGate(serialize: false, sp.GetRequiredService<IMeterFactory>()));
        }
        else if (provider.Equals("PostgreSql", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new InvalidOperationException("Database:Provider is PostgreSql but ConnectionStrings:Sessions is not set; set it to the PostgreSQL connection string (Host=...;Database=...;Username=...;Password=...).");
            services.AddDbContextFactory<PostgreSqlSessionsDb>((sp, o) => Common(o.UseNpgsql(connectionString), sp));
            services.AddSingleton<IDbContextFactory<SessionsDb>, DerivedFactory<PostgreSqlSessionsDb>>();
            // A server database takes concurrent writers: the engine's optimistic claims hold on their own there.
            services.AddSingleton(sp => new WriteGate(serialize: false, sp.GetRequiredService<IMeterFactory>()));
        }
        else if (provider.Equals("Sqlite", StringComparison.OrdinalIgnoreCase))
        {
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                Directory.CreateDirectory(dataFolder);
                connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataFolder, "wikisessions.db") }.ToString();
            }
            connectionString = ServingConnectionString(connectionString);
            services.AddDbContextFactory<SqliteSessionsDb>((sp, o) => Common(o.UseSqlite(connectionString).AddInterceptors(new SqlitePragmas(), new StoreFaults.PoolRecovery()), sp));
            services.AddSingleton<IDbContextFactory<SessionsDb>, DerivedFactory<SqliteSessionsDb>>();
            services.AddSingleton(sp => new WriteGate(serialize: true, sp.GetRequiredService<IMeterFactory>()));
            services.AddHostedService<SqliteCheckpointer>();
        }
        else
        {
            throw new InvalidOperationException($"Database:Provider is '{provider}'; use Sqlite, SqlServer or PostgreSql.");
        }

        services.AddSingleton<SessionProvider, CookieSessionProvider>();
        services.AddSingleton<SessionProvider, BotPasswordSessionProvider>();
        services.AddSingleton<SessionProvider, OAuthSessionProvider>();
        services.AddSingleton(ServerKey.Load(configuration, dataFolder));
        services.AddSingleton(sp => new SessionCache(maxBytes: sp.GetRequiredService<IOptions<SessionOptions>>().Value.CacheMaxBytes));
        services.AddSingleton<FarmDirectory>();
        services.AddSingleton<WikiRegistry>();
        services.AddSingleton<MediaWiki.BlobCipher>();
        services.AddSingleton<MediaWiki.MediaWikiStore>();
        services.AddSingleton<MediaWiki.StoreQuota>();
        services.AddSingleton<MediaWiki.MediaWikiTokenReset>();
        services.AddSingleton<MediaWiki.CentralAuthKeys>();
        services.AddSingleton<SessionFeed>();
        services.AddSingleton<CredentialWrites>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<LogoutService>();
        services.AddSingleton<AdminService>();
        services.AddSingleton<SessionQueries>();
        services.AddSingleton<UserQueries>();
        services.AddSingleton<TraceQueries>();
        services.AddSingleton<FarmQueries>();
        services.AddSingleton<BulkJobs>();
        services.AddHostedService<BulkJobRunner>();
        services.AddOptions<StaffLoginOptions>().BindConfiguration("StaffLogin")
            .Validate(o => o.MaxFailures > 0 && o.AccountLockoutAddresses > 1 && o.AccountLockoutWindow > TimeSpan.Zero && o.FirstLockout > TimeSpan.Zero && o.MaxLockout >= o.FirstLockout && o.RevalidationInterval > TimeSpan.Zero
                && o.FailureLogInterval > TimeSpan.Zero && o.AbsoluteLifetime > TimeSpan.Zero && o.IdleTimeout > TimeSpan.Zero,
                "StaffLogin: MaxFailures and every interval must be positive, AccountLockoutAddresses at least 2, and MaxLockout at least FirstLockout.")
            .ValidateOnStart();
        services.AddSingleton<StaffDirectory>();
        services.AddSingleton<StaffAccounts>();
        services.AddSingleton<StaffSessions>();
        services.AddSingleton<StaffLogins>();
        services.AddSingleton<LoginLockouts>();
        services.AddSingleton<FailedLoginLog>();
        services.AddHostedService<StaffHousekeeping>();
        services.AddSingleton<SessionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionSweeper>());
        services.AddOptions<Metrics.MetricsOptions>().BindConfiguration("Metrics")
            .Validate(o => o.IsValid(), "Metrics: intervals must be positive, Retention at least a day, each rule's Window 1 minute to 1 day and its thresholds not negative.")
            .ValidateOnStart();
        services.AddSingleton<Metrics.AlertBoard>();
        services.AddSingleton<Metrics.MetricsQueries>();
        services.AddSingleton<Metrics.MetricsWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<Metrics.MetricsWriter>());
        services.AddSingleton<StoreFailureReporter>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreFailureReporter>());
        return services;
    }

    /// <summary>
    /// While serving, a missing store file is an outage, not a new empty store: SQLite's default would create one, every
    /// query would fail on its missing tables, and the store moved back would not be seen. Start-up creates the file.
    /// </summary>
    private static string ServingConnectionString(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        if (connectionString.Contains("Mode", StringComparison.OrdinalIgnoreCase) || builder.DataSource is "" or ":memory:") return connectionString;
        builder.Mode = SqliteOpenMode.ReadWrite;
        return builder.ToString();
    }

    private static void Common(DbContextOptionsBuilder options, IServiceProvider services) =>
        options.AddInterceptors(services.GetServices<IInterceptor>())
            // The sweeper's batches take any N matching rows on purpose (see SessionSweeper).
            .ConfigureWarnings(w => w.Ignore(CoreEventId.RowLimitingOperationWithoutOrderByWarning));

    /// <summary>Hands out the provider's derived context as the common <see cref="SessionsDb"/>.</summary>
    private sealed class DerivedFactory<T>(IDbContextFactory<T> inner) : IDbContextFactory<SessionsDb> where T : SessionsDb
    {
        public SessionsDb CreateDbContext() => inner.CreateDbContext();
    }
}
