using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// Subscribes to the session feed once and sends what arrived to the hub's groups once per interval, in messages of at
/// most <see cref="LiveFeedOptions.MaxBatch"/>, so a burst of ten thousand events is a few dozen messages per client,
/// not ten thousand. A backlog longer than one message goes out in the same interval: the feed's rate is not capped
/// at one message per interval.
/// </summary>
public sealed class LiveFeedPump(
    SessionFeed feed, NoticeBuffers buffers, IHubContext<SessionsHub> hub, IOptions<LiveFeedOptions> options, ILogger<LiveFeedPump> logger)
    : BackgroundService
{
    private readonly LiveFeedOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var subscription = feed.Subscribe(buffers.Add);
        using var timer = new PeriodicTimer(_options.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    // Staff and wikis take turns, so a flood of staff notices does not hold back an invalidation.
                    while (await SendStaffAsync(stoppingToken) | await SendWikisAsync(stoppingToken))
                    {
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed send (the backplane is down, say) loses that batch only; the next interval sends the next.
                    logger.LogWarning(ex, "The live feed could not send a batch");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <returns>True when the buffer may hold more than this message took.</returns>
    private async Task<bool> SendStaffAsync(CancellationToken cancellationToken)
    {
        var (notices, dropped) = buffers.Staff.Take(_options.MaxBatch);
        if (notices.Count == 0 && dropped == 0) return false;
        if (dropped > 0) logger.LogWarning("The live feed dropped {Dropped} notices for staff: they came faster than it could send them", dropped);
        await hub.Clients.Group(LiveFeed.StaffGroup).SendAsync(LiveFeed.StaffMethod, new NoticeBatch(notices, dropped), cancellationToken);
        return notices.Count == _options.MaxBatch;
    }

    /// <returns>True when the buffer may hold more than this message took.</returns>
    private async Task<bool> SendWikisAsync(CancellationToken cancellationToken)
    {
        var (invalidations, dropped) = buffers.Wikis.Take(_options.MaxBatch);
        if (invalidations.Count == 0 && dropped == 0) return false;
        if (dropped > 0)
        {
            // Every wiki may have missed one of its own: tell them all, so each drops its cached sessions.
            logger.LogWarning("The live feed dropped {Dropped} invalidations for wiki servers", dropped);
            await hub.Clients.Group(LiveFeed.AllWikisGroup).SendAsync(LiveFeed.WikiMethod, new InvalidationBatch([], dropped), cancellationToken);
        }
        var farmWide = invalidations.Where(i => i.FarmWide).ToList();
        if (farmWide.Count > 0)
            await hub.Clients.Group(LiveFeed.AllWikisGroup).SendAsync(LiveFeed.WikiMethod, new InvalidationBatch(farmWide, 0), cancellationToken);
        foreach (var perWiki in invalidations.Where(i => !i.FarmWide && i.Wiki is not null).GroupBy(i => i.Wiki!))
            await hub.Clients.Group(LiveFeed.WikiGroup(perWiki.Key)).SendAsync(LiveFeed.WikiMethod, new InvalidationBatch(perWiki.ToList(), 0), cancellationToken);
        return invalidations.Count == _options.MaxBatch;
    }
}
