using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WikiSessions.Core;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

/// <summary>
/// A steward's bulk revoke at farm scale: every valid session that logged in within the store's time window (about
/// half of the generated store), run by the product's own job runner, while a console reads the farm overview every
/// 100 ms. Prints the job's time and the overview's latency during it, each beside its target.
/// </summary>
internal static class BulkScale
{
    private static readonly StaffActor Steward = new("bench-steward", StaffRole.Steward);

    public static Task RunAsync(string[] args) => Generate.OnStoreCopyAsync(args, "bulk", RunOnAsync);

    private static async Task RunOnAsync(string path)
    {
        await using var services = Generate.CoreServices(path);
        var hosted = services.GetServices<IHostedService>().Where(s => s is SqliteCheckpointer or BulkJobRunner).ToList();
        foreach (var service in hosted) await service.StartAsync(CancellationToken.None);
        var jobs = services.GetRequiredService<BulkJobs>();
        var farm = services.GetRequiredService<FarmQueries>();
        Console.WriteLine($"WikiSessions bulk revoke at scale, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");

        // Every login of the last year: the filter matches every valid session of the store.
        var filter = new SessionFilter(From: DateTimeOffset.UtcNow.AddYears(-1));
        await farm.WikisAsync();
        var clock = Stopwatch.StartNew();
        var preview = await jobs.PreviewAsync(BulkJobKind.RevokeSessions, filter);
        Console.WriteLine($"  preview: {preview.Total:N0} valid sessions on {preview.Counts.Select(c => c.Wiki).Distinct().Count():N0} wikis, counted in {clock.Elapsed.TotalMilliseconds:N0} ms");

        var overview = new List<double>();
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            while (!stop.IsCancellationRequested)
            {
                var read = Stopwatch.StartNew();
                await farm.WikisAsync();
                lock (overview) overview.Add(read.Elapsed.TotalMilliseconds);
                try { await timer.WaitForNextTickAsync(stop.Token); } catch (OperationCanceledException) { }
            }
        });

        clock.Restart();
        var job = await jobs.StartAsync(Steward, BulkJobKind.RevokeSessions, filter, "benchmark: bulk revoke", preview.Total);
        var done = new TaskCompletionSource<BulkJobView>(TaskCreationOptions.RunContinuationsAsynchronously);
        jobs.Changed += async id =>
        {
            var view = await jobs.JobAsync(id);
            if (view.State != BulkJobState.Running) done.TrySetResult(view);
        };
        var result = await done.Task.WaitAsync(TimeSpan.FromMinutes(30));
        var took = clock.Elapsed;
        await stop.CancelAsync();
        await reader;

        var sorted = overview.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
        Console.WriteLine($"  bulk revoke: {result.SessionsEnded:N0} sessions in {result.Batches:N0} batches, {took.TotalSeconds:N1} s " +
            $"({result.SessionsEnded / took.TotalSeconds:N0}/s); check {(result.CheckPassed == true ? "passed" : "FAILED")}   < 60 s {(took.TotalSeconds < 60 ? "ok" : "MISSED")}");
        Console.WriteLine($"  farm overview during the job: {sorted.Count} reads, p50 {At(0.5):N1} ms, p99 {At(0.99):N1} ms, max {sorted[^1]:N1} ms   p99 < 50 ms {(At(0.99) < 50 ? "ok" : "MISSED")}");
        foreach (var service in hosted) await service.StopAsync(CancellationToken.None);
    }
}
