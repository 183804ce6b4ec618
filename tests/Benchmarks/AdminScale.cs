using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WikiSessions.Core;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

/// <summary>
/// The console at farm scale: the reads the admin pages make and the stewards' actions, with the Core services in
/// process against a copy of a generated store (see <see cref="Generate"/>), each figure printed beside its target.
/// </summary>
internal static class AdminScale
{
    private static readonly StaffActor Steward = new("bench-steward", StaffRole.Steward);

    public static Task RunAsync(string[] args) =>
        Generate.OnStoreCopyAsync(args, "admin", path => args.Contains("--export-only") ? ExportOnlyAsync(path) : RunOnAsync(path));

    private static async Task RunOnAsync(string path)
    {
        await using var services = Generate.CoreServices(path);
        var farm = services.GetRequiredService<FarmQueries>();
        var users = services.GetRequiredService<UserQueries>();
        var sessions = services.GetRequiredService<SessionQueries>();
        var admin = services.GetRequiredService<AdminService>();
        var logouts = services.GetRequiredService<LogoutService>();
        var directory = services.GetRequiredService<FarmDirectory>();
        // The product checkpoints the WAL in the background; so does the harness, so no action pays for it inline.
        var checkpointer = services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<SqliteCheckpointer>().Single();
        await checkpointer.StartAsync(CancellationToken.None);

        var (total, open, busiest, busiestOpen) = await FactsAsync(path);
        Console.WriteLine($"WikiSessions console at scale, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine($"  store: {total:N0} sessions, {open:N0} open; busiest user {busiest} with {busiestOpen:N0} open sessions");
        Console.WriteLine($"  {"",-58} {"first",9} {"best of 3",10}   target");

        await TimeAsync("farm overview (FarmQueries.WikisAsync)", 50, () => farm.WikisAsync());
        await TimeAsync("invalidate-everyone blast radius (FarmBlastRadiusAsync)", 50, () => farm.FarmBlastRadiusAsync());
        await TimeAsync($"user page of the busiest user ({busiestOpen:N0} open)", 50, () => users.UserAsync(busiest));
        await TimeAsync($"user page of {Generate.HeavyUser} (1,000 open on 500 wikis)", 50, () => users.UserAsync(Generate.HeavyUser));
        await TimeAsync("explorer: enwiki, active, page 1 (50 rows)", 100, () => sessions.SessionsAsync(new SessionFilter("enwiki", Active: true)));
        await TimeAsync("explorer: enwiki, active, page 100 (50 rows)", 100, () => sessions.SessionsAsync(new SessionFilter("enwiki", Active: true), 100));
        await TimeAsync("explorer: IP prefix 81.2, page 1", 100, () => sessions.SessionsAsync(new SessionFilter(Ip: "81.2")));
        await TimeAsync("explorer: CIDR 81.2.0.0/16, active, page 1", 100, () => sessions.SessionsAsync(new SessionFilter(Ip: "81.2.0.0/16", Active: true)));

        await ExportAsync(sessions, new SessionFilter(), "every session");
        await ExportAsync(sessions, new SessionFilter("dewiki"), "dewiki");
        await ExportAsync(sessions, new SessionFilter(Active: true), "every active session", int.MaxValue, 100_000);

        // The actions change the store, so each runs once, the farm-wide one last; each path is warmed first on a
        // light case, so the figure is the action's, not the JIT's.
        await admin.InvalidateUserAsync(Steward, await LightUserAsync(path), "benchmark warm-up");
        await logouts.LogoutAsync(new LogoutRequest("enwiki", new Dictionary<string, string>(), null, LogoutScope.Global, new ClientInfo("198.51.100.22", "bench", true)));
        var clock = Stopwatch.StartNew();
        var user = await admin.InvalidateUserAsync(Steward, Generate.HeavyUser, "benchmark: a compromised account");
        Line($"invalidate user {Generate.HeavyUser} ({user.SessionsEnded:N0} sessions ended), check {(user.Check.Passed ? "passed" : "FAILED")}", clock.Elapsed, null, 50);

        var first = await directory.FindAsync(await FirstBrowserWikiAsync(path), CancellationToken.None) ?? throw new InvalidOperationException("The heavy browser's wiki is missing.");
        var request = new LogoutRequest(first.DbName,
            new Dictionary<string, string> { [CookieSessionProvider.SessionCookie(first)] = Generate.HeavyBrowserSessionId(0) },
            new Dictionary<string, string> { [CookieRules.CentralSession] = Generate.HeavyBrowserCentralId },
            LogoutScope.Global, new ClientInfo("198.51.100.21", "bench", true));
        clock.Restart();
        var logout = await logouts.LogoutAsync(request);
        var took = clock.Elapsed;
        var trace = await services.GetRequiredService<TraceQueries>().TraceAsync(logout.TraceId);
        Line($"global logout of the {Generate.HeavyBrowserWikis}-wiki browser, trace of {trace.Steps.Count} steps ({trace.Steps.Sum(s => s.SessionsEnded)} ended), {WireNames.Of(logout.Outcome)}",
            took, null, 100);

        clock.Restart();
        var everyone = await admin.InvalidateEveryoneAsync(Steward, "benchmark: incident");
        Line($"invalidate everyone ({everyone.SessionsEnded:N0} open sessions), check {(everyone.Check.Passed ? "passed" : "FAILED")}", clock.Elapsed, null, 100);
        await TimeAsync("farm overview after invalidate everyone", 50, () => farm.WikisAsync());
        await checkpointer.StopAsync(CancellationToken.None);
    }

    private static async Task TimeAsync<T>(string what, double target, Func<Task<T>> run)
    {
        var clock = Stopwatch.StartNew();
        await run();
        var first = clock.Elapsed;
        var best = TimeSpan.MaxValue;
        for (var i = 0; i < 3; i++)
        {
            clock.Restart();
            await run();
            if (clock.Elapsed < best) best = clock.Elapsed;
        }
        Line(what, first, best, target);
    }

    private static void Line(string what, TimeSpan first, TimeSpan? best, double target)
    {
        var figure = (best ?? first).TotalMilliseconds;
        var bestText = best is { } b ? $"{b.TotalMilliseconds:N1} ms" : "";
        Console.WriteLine($"  {what,-58} {first.TotalMilliseconds,6:N1} ms {bestText,10}   < {target} ms {(figure < target ? "ok" : "MISSED")}");
    }

    /// <summary>Only the CSV exports (a farm-sized export takes a while; the other figures do not need it).</summary>
    private static async Task ExportOnlyAsync(string path)
    {
        var configuration = SeededStore.Configuration(path);
        await using var services = new ServiceCollection().AddLogging().AddSingleton(configuration).AddCore(configuration, Path.GetTempPath()).BuildServiceProvider();
        var sessions = services.GetRequiredService<SessionQueries>();
        Console.WriteLine($"WikiSessions CSV export, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, store {path}");
        // Warmed up first, as the full run's exports are by the reads before them: the first export would time the JIT.
        await ExportAsync(sessions, new SessionFilter(), "warm-up (not a figure)", 5_000);
        await ExportAsync(sessions, new SessionFilter(), "every session");
        await ExportAsync(sessions, new SessionFilter("dewiki"), "dewiki");
        await ExportAsync(sessions, new SessionFilter(Active: true), "every active session", int.MaxValue, 100_000);
    }

    /// <summary>The CSV export as the admin route runs it (SessionQueries.ExportAsync), up to <paramref name="limit"/> rows, formatted and discarded.</summary>
    private static async Task ExportAsync(SessionQueries sessions, SessionFilter filter, string what, int limit = 100_000, int target = 50_000)
    {
        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var startSet = process.WorkingSet64;
        var peak = startSet;
        var rows = 0;
        var writer = new StreamWriter(Stream.Null);
        var clock = Stopwatch.StartNew();
        await foreach (var s in sessions.ExportAsync(filter))
        {
            await writer.WriteLineAsync(string.Join(",", s.Handle, s.Wiki, s.User, WireNames.Of(s.Provider), s.Origin, s.CreatedAt.ToString("O"), s.LastActivityAt.ToString("O"),
                s.ExpiresAt.ToString("O"), s.EndedAt?.ToString("O"), s.EndReason, s.Ip, s.UserAgent));
            if (++rows % 10_000 == 0)
            {
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
            }
            if (rows == limit) break;
        }
        var took = clock.Elapsed;
        Console.WriteLine($"  CSV export, {what}: {rows:N0} rows in {took.TotalMilliseconds:N0} ms = {rows / took.TotalSeconds,8:N0} rows/s (target >= {target:N0} {(rows / took.TotalSeconds >= target ? "ok" : "MISSED")}); " +
            $"working set {startSet / 1048576:N0} MB at start, peak {peak / 1048576:N0} MB during");
    }

    /// <summary>Facts about the store for the header and the cases (setup, not measured).</summary>
    private static async Task<(long Total, long Open, string Busiest, long BusiestOpen)> FactsAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT COUNT(*) FROM Sessions), (SELECT COUNT(*) FROM Sessions WHERE EndedAt IS NULL), u.Name, c.Open
            FROM (SELECT UserId, COUNT(*) AS Open FROM Sessions WHERE EndedAt IS NULL AND UserId IS NOT NULL GROUP BY UserId ORDER BY 2 DESC LIMIT 1) c
            JOIN Users u ON u.Id = c.UserId
            """;
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt64(3));
    }

    private static async Task<string> LightUserAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT Name FROM Users WHERE Name NOT IN ('{Generate.HeavyUser}', '{Generate.HeavyBrowserUser}') ORDER BY Id DESC LIMIT 1";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<string> FirstBrowserWikiAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT w.DbName FROM Sessions s JOIN Wikis w ON w.Id = s.WikiId WHERE s.IdHash = $hash";
        command.Parameters.AddWithValue("$hash", Secrets.Sha256(Generate.HeavyBrowserSessionId(0)));
        return (string)(await command.ExecuteScalarAsync())!;
    }
}

/// <summary>With WIKISESSIONS_SQL=1 the harness prints each SQL command EF runs, for EXPLAIN QUERY PLAN.</summary>
internal sealed class SqlPrinter : Microsoft.Extensions.Logging.ILoggerProvider, Microsoft.Extensions.Logging.ILogger
{
    public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) =>
        categoryName == "Microsoft.EntityFrameworkCore.Database.Command" ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Information;
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Console.WriteLine("    SQL " + formatter(state, exception));
    public void Dispose() { }
}
