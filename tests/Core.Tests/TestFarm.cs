using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Seeding;
using WikiSessions.Core.Sessions;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests;

/// <summary>Where a test farm keeps its store.</summary>
public enum StoreKind
{
    /// <summary>A copy of the seeded SQLite file (the default store).</summary>
    Sqlite,
    /// <summary>A copy of the seeded database on the run's own PostgreSQL cluster (<see cref="PostgresCluster"/>).</summary>
    PostgreSql,
    /// <summary>A new seeded database on the SQL Server an operator names (<see cref="SqlServerStore"/>); skipped without one.</summary>
    SqlServer,
}

/// <summary>
/// A real store holding the whole seeded farm, one per test: a SQLite file or a PostgreSQL database. The farm is
/// migrated and seeded once into a template, and each test gets its own copy of it.
/// </summary>
public sealed class TestFarm : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    public static readonly ClientInfo Browser = new("198.51.100.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", Secure: true);
    // The SQLite file, or the database on a server.
    private readonly string _path;
    private readonly PostgresCluster? _cluster;

    public FakeTimeProvider Time { get; }
    public ServiceProvider Services { get; }
    public CommandCounter Commands { get; }
    public LogCapture Logs { get; } = new();

    private TestFarm(StoreKind store, string path, PostgresCluster? cluster, Action<SessionOptions>? configure, IReadOnlyDictionary<string, string?>? settings,
        Action<IServiceCollection>? services)
    {
        StoreKind = store;
        _path = path;
        _cluster = cluster;
        Time = new FakeTimeProvider(Start);
        Services = BuildServices(StoreConfiguration(), Time, configure, settings, Logs, services);
        Commands = new CommandCounter(Services.GetRequiredService<StoreCounters>());
    }

    /// <param name="configuration">Settings beyond the store's connection string, as the app would read them.</param>
    /// <param name="store">The store the farm runs on; every engine test runs on both.</param>
    /// <param name="services">Replaces or adds services after the app's own (a store interceptor, another write gate).</param>
    public static async Task<TestFarm> StartAsync(Action<SessionOptions>? configure = null, Dictionary<string, string?>? configuration = null,
        StoreKind store = StoreKind.Sqlite, Action<IServiceCollection>? services = null)
    {
        switch (store)
        {
            case StoreKind.PostgreSql:
                var cluster = await PostgresCluster.GetAsync();
                return new(store, await cluster.CopyAsync("test"), cluster, configure, configuration, services);
            case StoreKind.SqlServer:
                if (SqlServerStore.ConnectionString is null) throw new InvalidOperationException(SqlServerStore.SkipReason);
                return new(store, await SqlServerStore.CreateAsync("test"), null, configure, configuration, services);
            default:
                return new(store, await SeededStore.CopyAsync("test"), null, configure, configuration, services);
        }
    }

    /// <summary>A farm on a PostgreSQL database of the run's cluster that the test prepared (a store copy's target), its clock at <paramref name="now"/>.</summary>
    public static async Task<TestFarm> OnPostgreSqlAsync(string database, DateTimeOffset now)
    {
        var farm = new TestFarm(StoreKind.PostgreSql, database, await PostgresCluster.GetAsync(), null, null, null);
        farm.Time.SetUtcNow(now);
        return farm;
    }

    public StoreKind StoreKind { get; }

    /// <summary>The test's own SQLite file.</summary>
    public string StorePath => StoreKind == StoreKind.Sqlite ? _path : throw new InvalidOperationException($"This farm's store is a {StoreKind} database, not a file.");

    public SessionService Sessions => Services.GetRequiredService<SessionService>();
    public LogoutService Logouts => Services.GetRequiredService<LogoutService>();
    public AdminService Admin => Services.GetRequiredService<AdminService>();
    public UserQueries UserQueries => Services.GetRequiredService<UserQueries>();
    public SessionQueries SessionQueries => Services.GetRequiredService<SessionQueries>();
    public TraceQueries TraceQueries => Services.GetRequiredService<TraceQueries>();
    public FarmQueries FarmQueries => Services.GetRequiredService<FarmQueries>();
    public StoreHealth Store => Services.GetRequiredService<StoreHealth>();
    public SessionFeed Feed => Services.GetRequiredService<SessionFeed>();
    public SessionSweeper Sweeper => Services.GetRequiredService<SessionSweeper>();
    public SessionsDb Db() => Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContext();

    public static readonly StaffActor Steward = new("steward", StaffRole.Steward);

    /// <summary>A user with no sessions and nothing revoked: the sandbox users, attached to every open wiki.</summary>
    public const string Alice = "Sandbox Alice";
    public const string Bob = "Sandbox Bob";
    public const string Carol = "Sandbox Carol";

    public Task<LoginResult> LoginAsync(string user = Alice, string wiki = "enwiki", ProviderKind provider = ProviderKind.Cookie,
        bool remember = false, ClientInfo? client = null, IReadOnlyDictionary<string, string>? centralCookies = null) =>
        Sessions.LoginAsync(new LoginRequest(wiki, user, provider, remember,
            provider == ProviderKind.BotPassword ? "sandboxbot" : null,
            provider == ProviderKind.OAuth ? "SandboxTool" : null,
            // As a real wiki sends it: the browser's cookies, here none on the wiki's host (a fresh browser).
            client ?? Browser, Cookies: new Dictionary<string, string>(), CentralCookies: centralCookies));

    public Task<ResolveResult> ResolveAsync(string wiki, IReadOnlyDictionary<string, string> cookies,
        IReadOnlyDictionary<string, string>? centralCookies = null, string? authorization = null, ClientInfo? client = null) =>
        Sessions.ResolveAsync(new ResolveRequest(wiki, cookies, centralCookies, authorization, client ?? Browser));

    /// <summary>The cookies of a login's response for one host, as a browser would send them back.</summary>
    public static Dictionary<string, string> CookiesFor(IEnumerable<SetCookie> setCookies, string host) =>
        setCookies.Where(c => c.Host == host && c.Value != "").ToDictionary(c => c.Name, c => c.Value);

    public const string CentralHost = "login.wikimedia.org";

    /// <summary>
    /// Another app instance on the same store file and clock, with its own cache and nothing that carries this one's
    /// evictions to it: two instances whose Redis link is down. Dispose it before the farm.
    /// </summary>
    public ServiceProvider AnotherInstance() => BuildServices(StoreConfiguration(), Time, null, null, null, null);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        if (StoreKind == StoreKind.PostgreSql) await _cluster!.DropAsync(_path);
        else if (StoreKind == StoreKind.SqlServer) await SqlServerStore.DropAsync(_path);
        else SeededStore.Delete(_path);
    }

    private IConfiguration StoreConfiguration() => StoreKind switch
    {
        StoreKind.PostgreSql => _cluster!.Configuration(_path),
        StoreKind.SqlServer => SqlServerStore.Configuration(_path),
        _ => SeededStore.Configuration(_path),
    };

    private static ServiceProvider BuildServices(IConfiguration store, TimeProvider time, Action<SessionOptions>? configure,
        IReadOnlyDictionary<string, string?>? settings, ILoggerProvider? logs, Action<IServiceCollection>? extra)
    {
        var configuration = new ConfigurationBuilder().AddConfiguration(store).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging(b => { if (logs is not null) b.AddProvider(logs); });
        services.AddSingleton(time);
        services.AddCore(configuration, Path.GetTempPath());
        if (configure is not null) services.PostConfigure(configure);
        extra?.Invoke(services);
        return services.BuildServiceProvider();
    }
}

/// <summary>Counts the statements the store runs, split into reads and writes.</summary>
/// <summary>The app's own statement counters (<see cref="StoreCounters"/>), counted from a point the test chooses.</summary>
public sealed class CommandCounter(StoreCounters counters)
{
    private long _reads, _writes, _transactions;
    public int Reads => (int)(counters.Reads - _reads);
    public int Writes => (int)(counters.Writes - _writes);
    /// <summary>Transactions begun: the engine begins one only to write.</summary>
    public int Transactions => (int)(counters.Transactions - _transactions);
    public int Total => Reads + Writes;
    public void Reset() => (_reads, _writes, _transactions) = (counters.Reads, counters.Writes, counters.Transactions);
}

/// <summary>Keeps every formatted log message, to check what the logs may never contain.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();
    public IReadOnlyCollection<string> Messages => _messages;
    public ILogger CreateLogger(string categoryName) => new Logger(this);
    public void Dispose() { }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._messages.Enqueue(formatter(state, exception) + " " + exception);
    }
}
