using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// Subscribes to the session feed once and sends what arrived to the hub's groups once per interval, in messages of at
/// most <see cref="LiveFeedOptions.MaxBatch"/>, so a burst of ten thousand events is a few dozen messages per client,
/// not ten thousand. A backlog longer than one message goes out in the same interval: the feed's rate is not capped
/// at one message per interval.
/// </summary>
public sealed class LiveFeedPump(
    SessionFeed feed, NoticeBuffers buffers, HubConnections connections, IHubContext<SessionsHub> hub, IOptions<LiveFeedOptions> options,
    ILogger<LiveFeedPump> logger)
    : BackgroundService
{
    /// <summary>How long a connection gets to take an empty message once a send timed out: a reading one takes it at once.</summary>
    private static readonly TimeSpan ProbeWait = TimeSpan.FromMilliseconds(250);

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
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
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
        await SendAsync(hub.Clients.Group(LiveFeed.StaffGroup), LiveFeed.StaffMethod, new NoticeBatch(notices, dropped), notices.Count, cancellationToken);
        return notices.Count == _options.MaxBatch;
    }

    /// <returns>True when the buffer may hold more than this message took.</returns>
    private async Task<bool> SendWikisAsync(CancellationToken cancellationToken)
    {
        var (invalidations, dropped) = buffers.Wikis.Take(_options.MaxBatch);
        if (invalidations.Count == 0 && dropped == 0) return false;
        var everyWiki = hub.Clients.Group(LiveFeed.AllWikisGroup);
        if (dropped > 0)
        {
            // Every wiki may have missed one of its own: tell them all, so each drops its cached sessions.
            logger.LogWarning("The live feed dropped {Dropped} invalidations for wiki servers", dropped);
            await SendAsync(everyWiki, LiveFeed.WikiMethod, new InvalidationBatch([], dropped), 0, cancellationToken);
        }
        var farmWide = invalidations.Where(i => i.FarmWide).ToList();
        if (farmWide.Count > 0)
            await SendAsync(everyWiki, LiveFeed.WikiMethod, new InvalidationBatch(farmWide, 0), farmWide.Count, cancellationToken);
        foreach (var perWiki in invalidations.Where(i => !i.FarmWide && i.Wiki is not null).GroupBy(i => i.Wiki!))
        {
            var batch = perWiki.ToList();
            await SendAsync(hub.Clients.Group(LiveFeed.WikiGroup(perWiki.Key)), LiveFeed.WikiMethod, new InvalidationBatch(batch, 0), batch.Count, cancellationToken);
        }
        return invalidations.Count == _options.MaxBatch;
    }

    /// <summary>
    /// Sends one message to a group, waiting at most <see cref="LiveFeedOptions.SendTimeout"/>. A group send waits for
    /// its slowest connection, so a client that stopped reading (its socket buffers full) would hold back every other
    /// one, each interval, for as long as it stays connected.
    /// </summary>
    private async Task SendAsync(IClientProxy clients, string method, object batch, int count, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(_options.SendTimeout);
        try
        {
            await clients.SendAsync(method, batch, timeout.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            await CloseClientsThatStoppedReadingAsync(count, stoppingToken);
        }
    }

    /// <summary>
    /// Finds the connections that cannot take even an empty message, closes them (their clients reconnect and start
    /// afresh; what was queued for them is freed) and says so once for each, with what it lost.
    /// </summary>
    private async Task CloseClientsThatStoppedReadingAsync(int count, CancellationToken stoppingToken)
    {
        var stuck = await Task.WhenAll(connections.All.Select(async c =>
        {
            using var probe = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            probe.CancelAfter(ProbeWait);
            object empty = c.Method == LiveFeed.StaffMethod ? new NoticeBatch([], 0) : new InvalidationBatch([], 0);
            try
            {
                await hub.Clients.Client(c.Context.ConnectionId).SendAsync(c.Method, empty, probe.Token);
                return null;
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                return c.Context;
            }
        }));
        var closed = 0;
        foreach (var connection in stuck.OfType<HubCallerContext>())
        {
            connection.Abort();
            closed++;
            var who = connection.User?.FindFirst(Schemes.WikiClaim)?.Value is { } wiki ? $"the wiki server of {wiki}" : connection.User?.Identity?.Name ?? "a client";
            logger.LogWarning("Closed the live-feed connection {ConnectionId} of {Client}: it took no live-feed batch for {Timeout}, so it held back " +
                "every other client. It lost the {Count} notices of that batch and those still queued for it; its client reconnects afresh",
                connection.ConnectionId, Core.Staff.LogText.Quote(who), _options.SendTimeout, count);
        }
        if (closed == 0)
            logger.LogWarning("The live feed took over {Timeout} to send a batch of {Count} notices, yet every connection here takes messages", _options.SendTimeout, count);
    }
}
