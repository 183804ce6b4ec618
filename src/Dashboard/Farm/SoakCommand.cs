using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Farm;

/// <summary>One report of the soak.</summary>
public sealed record SoakSample(
    TimeSpan At, int Requests, int Errors, long LivesCutShort, long ResidentBytes, long HeapBytes, long StoreBytes, long WalBytes,
    int ActiveSessions, int TotalSessions, long Resolves, long LogLines, int Threads, long QueuedWork);

/// <summary>
/// <c>dotnet run -c Release --project src/Dashboard -- soak 00:30:00</c>: the demo farm at full rate against the app on a
/// loopback port for that long, a report every <c>Soak:ReportInterval</c>, and a verdict: exit 0 when no request failed and
/// memory and store size levelled off (the last third's peak within 20% of the middle third's).
/// </summary>
/// <remarks>
/// Time is compressed so one run covers whole session lifetimes: unless <c>Soak:CompressTime</c> is false, sessions idle
/// out after a quarter of the run, and the sweeper (every eighth of the run) deletes what ended an eighth of it ago. Without that a 30-minute run
/// would only ever add sessions (they idle out after 30 minutes and are kept 7 days).
/// </remarks>
public static class SoakCommand
{
    private const double Levelled = 1.2;
    private const string ResolveRoute = "/api/v1/wikis/{wiki}/resolve";

    public static async Task<int> RunAsync(WebApplication app, TimeSpan duration)
    {
        var interval = app.Configuration.GetValue("Soak:ReportInterval", TimeSpan.FromSeconds(10));
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseDashboard();

        using var resolves = new ResolveCounter();
        var logs = app.Services.GetRequiredService<LogLineCounter>();
        var farm = app.Services.GetRequiredService<DemoFarm>();
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>();
        await app.StartAsync();
        var (resolvesAtStart, linesAtStart) = (resolves.Count, logs.Lines);
        var clock = Stopwatch.StartNew();
        var samples = new List<SoakSample>();
        var sessions = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<WikiSessions.Core.Sessions.SessionOptions>>().Value;
        Console.WriteLine($"Soak for {duration} at {app.Configuration["DemoFarm:RequestsPerSecond"]} requests a second, a report every {interval}; " +
            $"sessions idle out after {sessions.IdleTimeout}, remembered ones after {sessions.RememberDuration}, ended ones are kept {sessions.Retention}.");
        try
        {
            using var timer = new PeriodicTimer(interval);
            while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(app.Lifetime.ApplicationStopping))
            {
                var sample = await SampleAsync(clock.Elapsed, farm, dbFactory, resolves.Count - resolvesAtStart, logs.Lines - linesAtStart);
                samples.Add(sample);
                Console.WriteLine(Describe(sample, samples[0]));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await farm.Completion;
        var verdict = Judge(samples);
        Console.WriteLine("Soak answers by status: " + string.Join(", ", farm.Statuses.Snapshot().Select(s => $"{s.Key} × {s.Value}")));
        Console.WriteLine("Soak log lines by template: " + string.Join("; ", logs.Top(5).Select(t => $"{t.Lines} × {t.Template}")));
        Console.WriteLine("Soak summary: " + verdict.Summary);
        await app.StopAsync();
        return verdict.Passed ? 0 : 1;
    }

    /// <summary>The farm at full rate for the whole run, and the compressed session lifetimes.</summary>
    /// <summary>
    /// The soak's settings, given before the app is built: options are read once, at the first request for them, and a
    /// setting changed after that would not reach the engine.
    /// </summary>
    public static void ConfigureBeforeBuild(IConfiguration configuration, string[] args)
    {
        if (args is ["soak", var length, ..] && TimeSpan.TryParse(length, CultureInfo.InvariantCulture, out var duration) && duration > TimeSpan.Zero)
            Configure(configuration, duration);
    }

    private static void Configure(IConfiguration configuration, TimeSpan duration)
    {
        configuration["DemoFarm:Enabled"] = "true";
        configuration["DemoFarm:RequestsPerSecond"] = configuration.GetValue("Soak:RequestsPerSecond", 300.0).ToString(CultureInfo.InvariantCulture);
        configuration["DemoFarm:MaxBrowsers"] = configuration.GetValue("Soak:MaxBrowsers", 200).ToString(CultureInfo.InvariantCulture);
        configuration["DemoFarm:Duration"] = duration.ToString("c");
        if (!configuration.GetValue("Soak:CompressTime", true)) return;
        // Every lifetime shrinks with the run (remember-me too, or its sessions outlive any soak), so the store
        // reaches its steady state within the first third and the last two thirds can be compared.
        configuration["Sessions:IdleTimeout"] = (duration / 8).ToString("c");
        configuration["Sessions:RememberDuration"] = (duration / 8).ToString("c");
        configuration["Sessions:ActivityWriteInterval"] = (duration / 80).ToString("c");
        configuration["Sessions:Retention"] = (duration / 16).ToString("c");
        configuration["Sessions:SweepInterval"] = (duration / 24).ToString("c");
    }

    private static async Task<SoakSample> SampleAsync(TimeSpan at, DemoFarm farm, IDbContextFactory<SessionsDb> dbFactory, long resolves, long lines)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
        var active = await Validity.Active(db, db.Sessions, epoch, DateTimeOffset.UtcNow).CountAsync();
        var total = await db.Sessions.CountAsync();
        var file = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()).DataSource;
        using var process = Process.GetCurrentProcess();
        return new SoakSample(at, farm.Statuses.Total, farm.Statuses.Unexpected(), farm.Failures, process.WorkingSet64, GC.GetTotalMemory(false),
            Size(file), Size(file + "-wal"), active, total, resolves, lines, ThreadPool.ThreadCount, ThreadPool.PendingWorkItemCount);
    }

    private static long Size(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>Log lines are counted from the first report on: start-up and the first requests of a cold process are not the steady state.</summary>
    private static string Describe(SoakSample s, SoakSample first) =>
        $"soak {s.At:hh\\:mm\\:ss}  requests {s.Requests}  errors {s.Errors}  lives cut short {s.LivesCutShort}  " +
        $"resident {Mb(s.ResidentBytes)}  heap {Mb(s.HeapBytes)}  store {Mb(s.StoreBytes + s.WalBytes)} (wal {Mb(s.WalBytes)})  " +
        $"sessions {s.ActiveSessions} active / {s.TotalSessions} total  thread pool {s.Threads} threads, {s.QueuedWork} queued  log lines {PerThousand(s.LogLines - first.LogLines, s.Resolves - first.Resolves)} per 1,000 resolves";

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MB";

    private static string PerThousand(long lines, long resolves) =>
        resolves == 0 ? "-" : (lines * 1000.0 / resolves).ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The WAL's bound: the size at which a commit checkpoints it itself, and a quarter for the commits in flight.</summary>
    private const long WalBound = SqlitePragmas.WalAutocheckpointPages * 4096L * 5 / 4;

    /// <summary>
    /// Passed when nothing failed, the last third's peaks of memory and of the store file stay within 20% of the middle
    /// third's, and the WAL stays within <see cref="WalBound"/>.
    /// </summary>
    /// <remarks>
    /// The WAL is judged by its bound, not by its growth: its file keeps the largest size it reached between two
    /// checkpoints, which depends on how busy the machine was, not on what the store holds.
    /// </remarks>
    internal static (bool Passed, string Summary) Judge(IReadOnlyList<SoakSample> samples)
    {
        if (samples.Count < 3) return (false, $"only {samples.Count} reports; a verdict needs at least 3 (make the run longer or Soak:ReportInterval shorter). FAILED");
        var third = samples.Count / 3;
        var middle = samples.Skip(third).Take(third).ToList();
        var last = samples.Skip(samples.Count - third).ToList();
        var end = samples[^1];
        var memory = Ratio(last.Max(s => s.ResidentBytes), middle.Max(s => s.ResidentBytes));
        var store = Ratio(last.Max(s => s.StoreBytes), middle.Max(s => s.StoreBytes));
        var wal = samples.Max(s => s.WalBytes);
        var passed = end.Errors == 0 && end.LivesCutShort == 0 && memory <= Levelled && store <= Levelled && wal <= WalBound;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"{end.Requests} requests, {end.Resolves} resolves, errors {end.Errors}, lives cut short {end.LivesCutShort}; " +
            $"resident peak {Mb(samples.Max(s => s.ResidentBytes))}, last third / middle third {memory:0.00}; " +
            $"store file peak {Mb(samples.Max(s => s.StoreBytes))}, last third / middle third {store:0.00}; WAL peak {Mb(wal)} (bound {Mb(WalBound)}); " +
            $"sessions at the end {end.ActiveSessions} active / {end.TotalSessions} total; " +
            $"log lines {PerThousand(end.LogLines - samples[0].LogLines, end.Resolves - samples[0].Resolves)} per 1,000 resolves after the first report. {(passed ? "PASSED" : "FAILED")}");
        return (passed, summary);
    }

    private static double Ratio(long last, long middle) => middle == 0 ? double.PositiveInfinity : (double)last / middle;

    /// <summary>Counts the resolves the app served, from ASP.NET Core's own request metric.</summary>
    private sealed class ResolveCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public ResolveCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument is { Meter.Name: "Microsoft.AspNetCore.Hosting", Name: "http.server.request.duration" })
                    listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag is { Key: "http.route", Value: ResolveRoute }) Interlocked.Increment(ref _count);
            });
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
