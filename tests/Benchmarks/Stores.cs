using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

/// <summary>
/// The engine in process on SQLite and on PostgreSQL side by side, in one run: the same seeded farm, the same work
/// (logins, session data writes, resolves) at each concurrency, each operation timed on its own for p50 and p99.
/// </summary>
internal static class Stores
{
    public static async Task RunAsync(string[] args)
    {
        int[] concurrencies = args.Contains("--concurrency")
            ? [.. args.SkipWhile(a => a != "--concurrency").Skip(1).TakeWhile(a => !a.StartsWith('-')).Select(int.Parse)]
            : [8];
        Console.WriteLine($"WikiSessions stores benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        var clock = Stopwatch.StartNew();
        var cluster = await PostgresCluster.GetAsync();
        Console.WriteLine($"  PostgreSQL cluster started and the template seeded in {cluster.StartedIn.TotalSeconds:N1} s (fsync off: a test cluster)");
        Console.WriteLine();
        Console.WriteLine("| store | concurrent | operation | count | per second | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|");
        foreach (var concurrency in concurrencies)
        {
            var sqlite = await SeededStore.CopyAsync("bench");
            await RunStoreAsync("SQLite", SeededStore.Configuration(sqlite), concurrency);
            SeededStore.Delete(sqlite);
            var database = await cluster.CopyAsync("bench");
            await RunStoreAsync("PostgreSQL", cluster.Configuration(database), concurrency);
            await cluster.DropAsync(database);
        }
        Console.WriteLine($"\nload average after {clock.Elapsed.TotalSeconds:N0} s: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }

    private static async Task RunStoreAsync(string name, IConfiguration configuration, int concurrency)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(configuration).AddCore(configuration, Path.GetTempPath()).BuildServiceProvider();
        var sessions = services.GetRequiredService<SessionService>();
        var client = new ClientInfo("203.0.113.7", "bench", true);
        var names = File.ReadLines(Path.Combine(SeededStore.SeedFolder, "users.tsv")).Skip(4).Take(200).Select(l => l.Split('\t')).ToList();

        var logins = new LoginResult[2_000];
        await MeasureAsync(name, concurrency, "login (local + central session)", logins.Length, async i =>
        {
            var row = names[i % names.Count];
            logins[i] = await sessions.LoginAsync(new LoginRequest(row[1], row[0], ProviderKind.Cookie, false, null, null, client));
        });
        // Each session written by one caller at a time: the cost of a write, not of conflicts.
        var versions = new int[logins.Length];
        await MeasureAsync(name, concurrency, "session data write", logins.Length * 2, async i =>
        {
            var login = logins[i % logins.Length];
            var version = versions[i % logins.Length];
            if (version == 0) version = (await sessions.GetDataAsync(login.Session.Wiki, login.Session.Id)).Version;
            versions[i % logins.Length] = await sessions.PutDataAsync(login.Session.Wiki, login.Session.Id, version, $$"""{"n":{{i}}}""");
        }, sequentialPerKey: logins.Length);
        var cookieSets = logins.Select(l => (l.Session.Wiki, Cookies: l.SetCookies.Where(c => c.Name.EndsWith("_session")).ToDictionary(c => c.Name, c => c.Value))).ToList();
        await MeasureAsync(name, concurrency, "resolve of an active session", 20_000, async i =>
        {
            var (wiki, cookies) = cookieSets[i % cookieSets.Count];
            if ((await sessions.ResolveAsync(new ResolveRequest(wiki, cookies, null, null, client))).Session is null)
                throw new InvalidOperationException("A live session did not resolve.");
        });
        await services.DisposeAsync();
        SqliteConnection.ClearAllPools();
    }

    /// <param name="sequentialPerKey">When set, operation i and i + key never overlap: they run in rounds of that size.</param>
    private static async Task MeasureAsync(string store, int concurrency, string operation, int count, Func<int, Task> action, int? sequentialPerKey = null)
    {
        var latencies = new double[count];
        var wall = Stopwatch.StartNew();
        var round = sequentialPerKey ?? count;
        for (var start = 0; start < count; start += round)
        {
            await Parallel.ForEachAsync(Enumerable.Range(start, Math.Min(round, count - start)), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
            {
                var one = Stopwatch.GetTimestamp();
                await action(i);
                latencies[i] = Stopwatch.GetElapsedTime(one).TotalMilliseconds;
            });
        }
        var elapsed = wall.Elapsed;
        Array.Sort(latencies);
        Console.WriteLine($"| {store} | {concurrency} | {operation} | {count:N0} | {count / elapsed.TotalSeconds:N0} | {latencies[count / 2]:N2} | {latencies[(int)(count * 0.99)]:N2} |");
    }
}
