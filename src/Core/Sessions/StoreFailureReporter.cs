using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Every <see cref="SessionOptions.StoreFailureReportInterval"/>: logs the store failures that were held back,
/// tells the dashboard how many requests failed per wiki, and, once the store answers again, writes one
/// <see cref="SessionEventKind.StoreFailure"/> event per wiki with the count, so the overview's error rates show the outage.
/// </summary>
public sealed class StoreFailureReporter(
    StoreHealth storeHealth,
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    SessionFeed feed,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<StoreFailureReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.StoreFailureReportInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReportAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Store failures could not be reported; the next report runs in {Interval}", options.Value.StoreFailureReportInterval);
            }
        }
    }

    /// <summary>One report; returns how many wikis' failures were written to the store.</summary>
    public async Task<int> ReportAsync(CancellationToken cancellationToken = default)
    {
        storeHealth.LogHeldFailures();
        var pending = storeHealth.Pending();
        if (pending.Count == 0) return 0;
        var now = time.GetUtcNow();
        foreach (var (wiki, count, since) in pending)
            feed.Publish(new SessionNotice(SessionEventKind.StoreFailure, now, wiki, null, null, null, Describe(count, since, now)));
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            foreach (var (wiki, count, since) in pending)
            {
                var wikiId = wiki == StoreHealth.OtherWikis ? null : (await farm.FindAsync(wiki, cancellationToken))?.Id;
                db.Events.Add(SessionRecords.Event(SessionEventKind.StoreFailure, now, wikiId, null, null, Describe(count, since, now)));
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException or TimeoutException)
        {
            // Still down: the counts stay, and the next report tries again. The failure itself is already logged.
            return 0;
        }
        foreach (var (wiki, count, _) in pending) storeHealth.Recorded(wiki, count);
        logger.LogWarning("The session store answers again; recorded {Count} failed requests over {Wikis} wikis",
            pending.Sum(p => p.Count), pending.Count);
        return pending.Count;
    }

    private static string Describe(long count, DateTimeOffset since, DateTimeOffset now) =>
        $"{count} {(count == 1 ? "request" : "requests")} failed on the session store between {since:HH:mm:ss} and {now:HH:mm:ss} UTC";
}
