using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using WikiSessions.Core;
using WikiSessions.Core.Data;
using WikiSessions.Core.Seeding;

namespace WikiSessions.Testing;

/// <summary>
/// A real PostgreSQL 15 cluster of the test run: Debian's server binaries, a data folder in the temp folder, a free
/// loopback port. Started once per test process, stopped and deleted when the process is gone. The seeded farm is
/// migrated into a template database once; each test gets its own database copied from it.
/// </summary>
public sealed class PostgresCluster
{
    public const string BinFolder = "/usr/lib/postgresql/15/bin";
    private const string TemplateName = "wikisessions_template";
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartAsync);

    private readonly string _folder;
    private readonly int _port;
    private readonly string _options;
    private readonly bool _asRoot;

    private PostgresCluster(string folder, int port, string options, bool asRoot) => (_folder, _port, _options, _asRoot) = (folder, port, options, asRoot);

    /// <summary>Stops the server (fast shutdown: sessions are disconnected), as an operator's restart or a failover does.</summary>
    public Task StopServerAsync() =>
        RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-m", "fast", "-w", "stop"], _asRoot);

    /// <summary>Starts the server again on the same port and data.</summary>
    public Task StartServerAsync() =>
        RunAsync(Path.Combine(BinFolder, "pg_ctl"), ["-D", Path.Combine(_folder, "data"), "-o", _options, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "start"], _asRoot);

    /// <summary>How long the cluster took to start and take the seeded template, for the run's log.</summary>
    public TimeSpan StartedIn { get; private set; }

    /// <summary>The cluster of this process, started on first use.</summary>
    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    /// <summary>A connection string to <paramref name="database"/> as the cluster's superuser.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = _port, Username = "postgres", Database = database,
        // Each test's pool is its own; a dropped database must not leave idle connections behind for long.
        MaxPoolSize = 50, ConnectionIdleLifetime = 10,
    }.ToString();

    /// <summary>The app's settings for a store on this cluster, as an operator would write them.</summary>
    public IConfiguration Configuration(string database) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Database:Provider"] = "PostgreSql",
        ["ConnectionStrings:Sessions"] = ConnectionString(database),
    }).Build();

    /// <summary>A new database holding the seeded farm; <paramref name="name"/> tells whose it is.</summary>
    public async Task<string> CopyAsync(string name)
    {
        var database = $"{name}_{Guid.NewGuid():N}".ToLowerInvariant();
        await ExecuteAsync($"CREATE DATABASE \"{database}\" TEMPLATE {TemplateName}");
        return database;
    }

    /// <summary>An empty database, for a test of start-up migration.</summary>
    public async Task<string> CreateEmptyAsync(string name)
    {
        var database = $"{name}_{Guid.NewGuid():N}".ToLowerInvariant();
        await ExecuteAsync($"CREATE DATABASE \"{database}\"");
        return database;
    }

    public async Task DropAsync(string database)
    {
        NpgsqlConnection.ClearPool(new NpgsqlConnection(ConnectionString(database)));
        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
    }

    private async Task ExecuteAsync(string sql)
    {
        // Unpooled: a pooled connection a server restart cut would fail the next test's create or drop.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        if (!File.Exists(Path.Combine(BinFolder, "initdb")))
            throw new InvalidOperationException($"PostgreSQL 15 is not installed ({BinFolder}/initdb is missing): apt-get install -y postgresql");
        var watch = Stopwatch.StartNew();
        var folder = Path.Combine(Path.GetTempPath(), $"wikisessions-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        StopWhenGone(Environment.ProcessId, folder);
        // PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to the postgres user.
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", ["postgres:postgres", folder], asPostgres: false);
        var data = Path.Combine(folder, "data");
        await RunAsync(Path.Combine(BinFolder, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"], asRoot);
        var port = FreePort();
        // Durability settings off: a test cluster is deleted after the run, and the tests are about concurrency, not crashes.
        var options = $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        var cluster = new PostgresCluster(folder, port, options, asRoot);
        await cluster.StartServerAsync();
        var started = watch.Elapsed;
        await cluster.CreateTemplateAsync();
        cluster.StartedIn = watch.Elapsed;
        Console.Error.WriteLine($"PostgreSQL test cluster on 127.0.0.1:{port} ({folder}): initdb and start {started.TotalMilliseconds:0} ms, template migrated and seeded {(watch.Elapsed - started).TotalMilliseconds:0} ms");
        return cluster;
    }

    private async Task CreateTemplateAsync()
    {
        var configuration = Configuration(TemplateName);
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration);
        services.AddCore(configuration, Path.GetTempPath());
        await using (var provider = services.BuildServiceProvider())
        {
            // Migrate creates the database, as it would on an operator's empty server.
            var factory = provider.GetRequiredService<IDbContextFactory<SessionsDb>>();
            await StoreSetup.MigrateAndSeedAsync(factory, SeededStore.SeedFolder, SeededStore.SeedClock, NullLogger.Instance);
        }
        // A template may have no connections while it is copied.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>
    /// A watchdog outside the test process stops the cluster (immediate shutdown) and deletes its folder once the
    /// process is gone: the test host can be ended a moment after its exit handlers start, or killed outright.
    /// </summary>
    private static void StopWhenGone(int owner, string folder)
    {
        var watch = $"while kill -0 {owner} 2>/dev/null; do sleep 1; done; kill -QUIT $(head -n 1 {folder}/data/postmaster.pid) 2>/dev/null; sleep 2; rm -rf {folder}";
        using var process = Process.Start(new ProcessStartInfo("sh", ["-c", $"setsid -f sh -c '{watch}' </dev/null >/dev/null 2>&1"]))!;
        process.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        if (asPostgres) foreach (var a in new[] { "-u", "postgres", "--", file }) start.ArgumentList.Add(a);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await error}{await output}");
    }
}
