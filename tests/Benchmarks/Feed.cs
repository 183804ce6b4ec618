using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Metrics;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Seeding;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

/// <summary>
/// The live feed at load (<c>--sessions N</c> adds N active sessions to the store first): the Dashboard app in this process (Release, demo farm off, a fresh seeded store, Kestrel on
/// 127.0.0.1) with N staff dashboards connected from a child process, and notices published into the app's
/// <see cref="SessionFeed"/> at a fixed rate, as the session engine would. The dashboards run in their own process so
/// the CPU and memory figures of this one are the app's (and the publisher's, which is small), not the clients'.
/// </summary>
internal static class Feed
{
    public static async Task RunAsync(string[] args)
    {
        var dashboards = Option(args, "--dashboards", 20);
        var rate = Option(args, "--rate", 2000);
        var seconds = Option(args, "--seconds", 20);
        var silent = Option(args, "--silent", 0);
        var sessions = Option(args, "--sessions", 0);

        var store = await SeededStore.CopyAsync("feed");
        if (sessions > 0) await SeededStore.InsertSessionsAsync(store, 0, sessions, DateTimeOffset.UtcNow);
        var work = Directory.CreateTempSubdirectory("wikisessions-feed-").FullName;
        var app = await StartAppAsync(store, work);
        try
        {
            var address = new Uri(app.Urls.First());
            var feed = app.Services.GetRequiredService<SessionFeed>();
            Console.WriteLine($"WikiSessions live feed, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}: " +
                $"{dashboards} dashboards{(silent > 0 ? $" and {silent} that never read" : "")}, {rate:N0} notices/s for {seconds} s, app on {address}");

            using var clients = StartClients(address, dashboards, silent);
            var ready = await clients.StandardOutput.ReadLineAsync();
            if (ready != "connected") throw new InvalidOperationException($"The dashboards did not connect: {ready} {await clients.StandardError.ReadToEndAsync()}");

            // What seeding the store template left behind in this process is not the feed's.
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            var self = Process.GetCurrentProcess();
            var notices = new NoticeMaker();
            long peak = 0;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    self.Refresh();
                    peak = Math.Max(peak, self.WorkingSet64);
                    await Task.Delay(200);
                }
            });

            self.Refresh();
            var cpuBefore = self.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var published = await Task.Factory.StartNew(() => Publish(feed, notices, rate, TimeSpan.FromSeconds(seconds)), TaskCreationOptions.LongRunning);
            // The last interval's batch, and any backlog, get a moment to reach the dashboards.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var wall = clock.Elapsed;
            self.Refresh();
            var cpu = self.TotalProcessorTime - cpuBefore;
            await sampling.CancelAsync();
            await sampler;

            await clients.StandardInput.WriteLineAsync("stop");
            await clients.StandardInput.FlushAsync();
            var summary = await clients.StandardOutput.ReadToEndAsync();
            await clients.WaitForExitAsync();

            Console.WriteLine($"published: {published:N0} notices in {seconds} s ({published / (double)seconds:N0}/s)");
            Console.Write(summary);
            Console.WriteLine($"app CPU: {cpu.TotalSeconds:N1} s over {wall.TotalSeconds:N1} s wall = {cpu / wall:N2} cores (includes the publisher, not the dashboards)");
            Console.WriteLine($"app resident memory: peak {peak / 1048576:N0} MB during the run (sampled every 200 ms)");
            await OverviewRefreshAsync(app.Services, sessions);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            SeededStore.Delete(store);
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The dashboards' side, in the child process: connect (and the silent clients: a WebSocket on a 2 KB receive buffer
    /// that joins the feed and never reads), say so, record until told to stop, print the summary.
    /// </summary>
    public static async Task RunClientsAsync(string[] args)
    {
        var self = Process.GetCurrentProcess();
        var address = new Uri(args[0]);
        await using var clients = await DashboardClients.ConnectAsync(address, int.Parse(args[1]));
        var token = DemoCredentials.Read(SeededStore.SeedFolder).Staff.First(s => s.Role == "support").Token;
        var silent = new List<SlowHubClient>();
        for (var i = 0; i < int.Parse(args[2]); i++) silent.Add(await SlowHubClient.ConnectAsync(address, token));
        Console.WriteLine("connected");
        var cpuBefore = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Console.In.ReadLineAsync();
        self.Refresh();
        Console.WriteLine(clients.Summary());
        Console.WriteLine($"dashboards' own CPU (their process): {(self.TotalProcessorTime - cpuBefore) / clock.Elapsed:N2} cores");
        foreach (var client in silent) await client.DisposeAsync();
    }

    /// <summary>
    /// Not the hub: an open Overview page subscribes to the feed in process and, while notices flow, refreshes once a
    /// second with these queries (and its wiki grid's page). Timed here so that "20 dashboards" is priced both ways.
    /// </summary>
    private static async Task OverviewRefreshAsync(IServiceProvider services, int sessions)
    {
        var queries = services.GetRequiredService<FarmQueries>();
        var metrics = services.GetRequiredService<MetricsQueries>();
        var times = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var clock = Stopwatch.StartNew();
            await queries.WikisAsync();
            await metrics.GroupAsync(null, TimeSpan.FromHours(1));
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"one Overview page refresh (its queries, {sessions:N0} extra sessions in the store): {string.Join(", ", times.Select(t => $"{t:N0}"))} ms; " +
            "each open Overview runs it once a second while the feed flows");
    }

    private static async Task<WebApplication> StartAppAsync(string store, string work)
    {
        var dashboardFolder = Path.GetFullPath(Path.Combine(SeededStore.SeedFolder, "..", "src", "Dashboard"));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ApplicationName = "WikiSessions.Dashboard",
            EnvironmentName = "Development",
            ContentRootPath = dashboardFolder,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Sessions"] = $"Data Source={store}",
            ["Database:DataFolder"] = work,
            ["DemoFarm:Enabled"] = "false",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        });
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.AddDashboard();
        var app = builder.Build();
        await app.PrepareAsync([]);
        app.UseDashboard();
        await app.StartAsync();
        return app;
    }

    private static Process StartClients(Uri address, int count, int silent)
    {
        // Under `dotnet run` this process is the apphost; under `dotnet x.dll` it is dotnet and needs the dll.
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") info.ArgumentList.Add(typeof(Feed).Assembly.Location);
        foreach (var arg in new[] { "feed-clients", address.ToString(), count.ToString(), silent.ToString() }) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    /// <summary>Publishes at <paramref name="rate"/> a second, evenly, for <paramref name="duration"/>; returns how many.</summary>
    private static long Publish(SessionFeed feed, NoticeMaker notices, int rate, TimeSpan duration)
    {
        var clock = Stopwatch.StartNew();
        long published = 0;
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            while (published < due) feed.Publish(notices.Next(published++));
            Thread.Sleep(2);
        }
        return published;
    }

    private static int Option(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).DefaultIfEmpty(fallback).First();

    /// <summary>Notices like the engine's on a busy day: logins, auto-logins, ends and logouts over many wikis and users.</summary>
    private sealed class NoticeMaker
    {
        private readonly string[] _wikis;
        private readonly string[] _users;

        public NoticeMaker()
        {
            var rows = File.ReadLines(Path.Combine(SeededStore.SeedFolder, "users.tsv")).Where(l => !l.StartsWith('#')).Select(l => l.Split('\t')).Take(500).ToList();
            _users = [.. rows.Select(r => r[0])];
            _wikis = [.. File.ReadLines(Path.Combine(SeededStore.SeedFolder, "wikis.tsv")).Where(l => !l.StartsWith('#') && !l.Contains("\tclosed\t"))
                .Select(l => l.Split('\t')[0]).Take(300)];
        }

        public SessionNotice Next(long n)
        {
            var wiki = _wikis[(int)(n * 7 % _wikis.Length)];
            var user = _users[(int)(n * 13 % _users.Length)];
            var handle = $"{n * 2654435761 & 0xffffffffffff:x16}";
            var now = DateTimeOffset.UtcNow;
            return (n % 20) switch
            {
                < 9 => new(SessionEventKind.Created, now, wiki, handle, user, ProviderKind.Cookie, $"Logged in on {wiki} with a password (remember me: no)"),
                < 13 => new(SessionEventKind.AutoLogin, now, wiki, handle, user, ProviderKind.Cookie, $"Logged in on {wiki} from the central session on loginwiki"),
                < 17 => new(SessionEventKind.Ended, now, wiki, handle, user, ProviderKind.Cookie, "Idle for 30 minutes", EndReason: EndReason.Idle),
                < 18 => new(SessionEventKind.Refused, now, wiki, null, user, ProviderKind.BotPassword, "The bot password does not match"),
                _ => new(SessionEventKind.LogoutTraceFinished, now, wiki, handle, user, ProviderKind.Cookie,
                    "Logged out everywhere: 6 sessions ended on 6 wikis", TraceId: $"{n:x12}", Wikis: [wiki, "loginwiki", "metawiki", "commonswiki", "wikidatawiki", _wikis[(int)(n % _wikis.Length)]]),
            };
        }
    }
}
