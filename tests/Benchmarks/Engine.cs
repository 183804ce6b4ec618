using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using WikiSessions.Core;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Metrics;
using WikiSessions.Core.Seeding;
using WikiSessions.Core.Sessions;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

/// <summary>The engine on a real SQLite file holding the seeded farm: logins, resolves, invalidate everyone, the sweeper.</summary>
internal static class Engine
{
    public static async Task RunAsync(string[] args)
    {
        var sizes = args.SkipWhile(a => a != "--sessions").Skip(1).Select(int.Parse).DefaultIfEmpty(1_000_000).ToArray();
        var path = Path.Combine(Path.GetTempPath(), $"wikisessions-bench-{Guid.NewGuid():N}.db");
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Sessions"] = $"Data Source={path}" }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddCore(configuration, Path.GetTempPath()).BuildServiceProvider();
        var dbFactory = services.GetRequiredService<IDbContextFactory<SessionsDb>>();
        var seed = SeedLoader.FindSeedFolder(null, AppContext.BaseDirectory, Directory.GetCurrentDirectory());

        Console.WriteLine($"WikiSessions benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}, SQLite file in {Path.GetTempPath()}");
        var clock = Stopwatch.StartNew();
        await StoreSetup.MigrateAndSeedAsync(dbFactory, seed, TimeProvider.System, NullLogger.Instance);
        Report("migrate and seed the farm (1,072 wikis, 3,000 users)", clock.Elapsed, 1);

        var sessionService = services.GetRequiredService<SessionService>();
        var admin = services.GetRequiredService<AdminService>();
        var farmQueries = services.GetRequiredService<FarmQueries>();
        var client = new ClientInfo("203.0.113.7", "bench", true);
        var names = File.ReadLines(Path.Combine(seed, "users.tsv")).Skip(4).Take(200).Select(l => l.Split('\t')).ToList();

        // Logins: 8 concurrent callers.
        var counters = services.GetRequiredService<StoreCounters>();
        var logins = new List<LoginResult>();
        var cost = Cost.Start(counters);
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, 2_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var row = names[i % names.Count];
            var result = await sessionService.LoginAsync(new LoginRequest(row[1], row[0], ProviderKind.Cookie, false, null, null, client), ct);
            lock (logins) logins.Add(result);
        });
        Report("cookie logins (local + central session), 8 concurrent", clock.Elapsed, logins.Count);
        cost.Report(counters, logins.Count);

        // Logins as a real wiki sends them, with the browser's cookies: each joins the browser of the login before it
        // (reuses and claims its central session, replaces its local session). The resolves below use their sessions.
        var joined = new LoginResult[logins.Count];
        cost = Cost.Start(counters);
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, logins.Count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (before, row) = (logins[i], names[i % names.Count]);
            var wikiCookies = before.SetCookies.Where(c => !c.Name.StartsWith("centralauth_", StringComparison.Ordinal)).ToDictionary(c => c.Name, c => c.Value);
            var centralCookies = before.SetCookies.Where(c => c.Name.StartsWith("centralauth_", StringComparison.Ordinal)).ToDictionary(c => c.Name, c => c.Value);
            joined[i] = await sessionService.LoginAsync(new LoginRequest(row[1], row[0], ProviderKind.Cookie, false, null, null, client, wikiCookies, centralCookies), ct);
        });
        Report("cookie logins joining the browser's cookies (browser join), 8 concurrent", clock.Elapsed, joined.Length);
        cost.Report(counters, joined.Length);
        logins = [.. joined];

        // Resolves of active sessions: reads only, as most requests are.
        var cookieSets = logins.Select(l => (l.Session.Wiki, Cookies: l.SetCookies.Where(c => c.Name.EndsWith("_session")).ToDictionary(c => c.Name, c => c.Value))).ToList();
        clock.Restart();
        await Parallel.ForEachAsync(Enumerable.Range(0, 20_000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (wiki, cookies) = cookieSets[i % cookieSets.Count];
            var resolved = await sessionService.ResolveAsync(new ResolveRequest(wiki, cookies, null, null, client), ct);
            if (resolved.Session is null) throw new InvalidOperationException("A live session did not resolve.");
        });
        Report("resolves of active sessions, 8 concurrent", clock.Elapsed, 20_000);

        // The operations view's counting: what one event costs the path that raises it, with a listener on the meter
        // as the Prometheus exporter keeps one, and what the one background writer does with a minute of them.
        var metrics = services.GetRequiredService<SessionMetrics>();
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == SessionMetrics.MeterName) l.EnableMeasurementEvents(instrument); };
            listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
            listener.Start();
            clock.Restart();
            for (var i = 0; i < 2_000_000; i++) metrics.Count(i % 2 == 0 ? "enwiki" : "dewiki", Signal.Reads);
            Console.WriteLine($"  counting an event for the operations view (with a meter listener): {clock.Elapsed.TotalMilliseconds * 1e6 / 2_000_000:N0} ns each");
        }
        for (var i = 0; i < 100_000; i++) metrics.Count(cookieSets[i % cookieSets.Count].Wiki, Signal.Logins);
        clock.Restart();
        var rows = await services.GetRequiredService<MetricsWriter>().FlushAsync();
        Report($"metrics writer: one flush of a minute's counts ({rows:N0} bucket rows)", clock.Elapsed, 1);

        // Invalidate everyone: the same single statement whatever the number of sessions.
        var inserted = 0;
        foreach (var size in sizes.Prepend(10_000).Prepend(100_000).Distinct().Order())
        {
            if (inserted > 0)
            {
                // Bring the sessions of the last round into the current epoch again (setup, not measured).
                await using var db = dbFactory.CreateDbContext();
                var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
                await db.Sessions.Where(s => s.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(s => s.Epoch, epoch));
            }
            await SeededStore.InsertSessionsAsync(path, inserted, size - inserted, DateTimeOffset.UtcNow);
            inserted = size;
            var active = (await farmQueries.FarmBlastRadiusAsync()).ActiveSessions;
            clock.Restart();
            await admin.InvalidateEveryoneAsync(new StaffActor("bench", StaffRole.Steward), "benchmark");
            var took = clock.Elapsed;
            Console.WriteLine($"  invalidate everyone with {active,9:N0} active sessions: {took.TotalMilliseconds,8:N1} ms");
        }

        // The sweeper records the end of the invalidated sessions in bounded batches.
        var sweeper = services.GetRequiredService<SessionSweeper>();
        clock.Restart();
        var sweep = await sweeper.SweepOnceAsync();
        Report($"sweeper pass (bounded to 50 batches of 2,000): {sweep.EndedByEpoch:N0} sessions marked ended", clock.Elapsed, 1);

        await services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(path + suffix);
    }

    /// <summary>
    /// What a phase cost the store and the processor per operation: statements and transactions are exact, and CPU time
    /// moves far less than the wall clock on a shared machine.
    /// </summary>
    private sealed record Cost(long Reads, long Writes, long Transactions, TimeSpan Cpu)
    {
        public static Cost Start(StoreCounters c) => new(c.Reads, c.Writes, c.Transactions, Process.GetCurrentProcess().TotalProcessorTime);

        public void Report(StoreCounters c, int count) =>
            Console.WriteLine($"    each: {(c.Reads - Reads) / (double)count:N1} reads, {(c.Writes - Writes) / (double)count:N1} writes, " +
                $"{(c.Transactions - Transactions) / (double)count:N2} transactions, {(Process.GetCurrentProcess().TotalProcessorTime - Cpu).TotalMilliseconds * 1000 / count:N0} µs CPU");
    }

    public static void Report(string what, TimeSpan elapsed, int count) =>
        Console.WriteLine(count == 1
            ? $"  {what}: {elapsed.TotalMilliseconds:N0} ms"
            : $"  {what}: {count:N0} in {elapsed.TotalMilliseconds:N0} ms = {count / elapsed.TotalSeconds:N0}/s, {elapsed.TotalMilliseconds * 1000 / count:N0} µs each");
}
