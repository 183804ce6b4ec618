using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace WikiSessions.Dashboard.Farm;

/// <summary>
/// Plays a realistic farm against the app's own HTTP API over loopback: a bounded crowd of readers, editors, apps,
/// bots and OAuth tools, spread over the open wikis by traffic weight, at a configured rate. A failed request ends
/// that actor's life and is counted; the farm carries on, and never takes the app down.
/// </summary>
public sealed class DemoFarm(
    LoopbackAddress address, FarmCatalog catalog, IOptions<DemoFarmOptions> options, ILogger<DemoFarm> logger) : BackgroundService
{
    private static readonly TimeSpan SummaryInterval = TimeSpan.FromSeconds(30);
    private readonly DemoFarmOptions _options = options.Value;
    private volatile bool _held;
    private long _lives;
    private long _failures;
    private long _lastFailureLogTicks;

    /// <summary>Every answer the farm got, by status.</summary>
    public StatusTally Statuses { get; } = new();

    /// <summary>Lives cut short by a failed request or an exception.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public long Lives => Interlocked.Read(ref _lives);

    /// <summary>Ends when the farm has stopped (its duration passed, the app stopped, or it could not run).</summary>
    public Task Completion => ExecuteTask ?? Task.CompletedTask;

    /// <summary>Keeps the farm from starting: a command-line replay wants only its own traffic.</summary>
    public void HoldOff() => _held = true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled || _held) return;
        try
        {
            var baseAddress = await address.WaitAsync(stoppingToken);
            if (baseAddress is null)
            {
                logger.LogWarning("The demo farm is not running: the app has no listening address to send its traffic to");
                return;
            }
            using var duration = new CancellationTokenSource(_options.Duration ?? Timeout.InfiniteTimeSpan);
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, duration.Token);
            using var http = LoopbackAddress.Client(baseAddress);
            logger.LogInformation("Demo farm started against {Address}: {Rate} requests per second, at most {Browsers} browsers, {Users} users on {Wikis} open wikis",
                baseAddress, _options.RequestsPerSecond, _options.MaxBrowsers, catalog.Users.Count, catalog.OpenWikis.Count);
            await RunAsync(new FarmApi(http, catalog, Statuses), stopping);
            logger.LogInformation("Demo farm stopped after {Lives} lives and {Requests} requests; {Failures} failed", Lives, Statuses.Total, Failures);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "The demo farm stopped on an unexpected error; the app carries on without it");
        }
    }

    private async Task RunAsync(FarmApi api, CancellationTokenSource stopping)
    {
        using var limiter = Limiter(_options.RequestsPerSecond, _options.MaxBrowsers);
        // Each actor waits for one permit at a time, so the queue never holds more than MaxBrowsers and every wait is granted.
        var actors = new FarmActors(api, async ct =>
        {
            using var lease = await limiter.AcquireAsync(1, ct);
        });
        using var summary = new PeriodicTimer(SummaryInterval);
        var summaries = SummariesAsync(summary, stopping.Token);
        var living = new HashSet<Task>();
        while (!stopping.IsCancellationRequested)
        {
            while (living.Count < _options.MaxBrowsers) living.Add(LiveAsync(actors, stopping));
            living.Remove(await Task.WhenAny(living));
        }
        await Task.WhenAll(living);
        await summaries;
    }

    private async Task LiveAsync(FarmActors actors, CancellationTokenSource stopping)
    {
        // Yield first, so that starting a hundred lives does not run their first steps on the farm's own loop.
        await Task.Yield();
        Interlocked.Increment(ref _lives);
        try
        {
            await actors.LiveAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (FarmStepFailed failed) when (failed.Status == HttpStatusCode.Unauthorized)
        {
            logger.LogError("The demo farm stops: {Wiki} refused its wiki key. Were the credentials rotated? The farm uses seed-data/demo-credentials.json", failed.Wiki);
            await stopping.CancelAsync();
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _failures);
            LogFailure(ex);
        }
    }

    /// <summary>At most one failure in detail per summary interval; the summaries carry the counts.</summary>
    private void LogFailure(Exception ex)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastFailureLogTicks);
        if (last != 0 && now - last < SummaryInterval.TotalMilliseconds) return;
        if (Interlocked.CompareExchange(ref _lastFailureLogTicks, now, last) != last) return;
        if (ex is FarmStepFailed failed)
            logger.LogWarning("Demo farm: {Step} on {Wiki} answered {Status}: {Title}", failed.Step, failed.Wiki, (int)failed.Status, failed.Title);
        else
            logger.LogWarning(ex, "Demo farm: a simulated browser failed");
    }

    private async Task SummariesAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
                logger.LogInformation("Demo farm: {Requests} requests so far, by status {Statuses}; {Failures} lives cut short", Statuses.Total, Statuses.Snapshot(), Failures);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A token bucket refilled every 100 ms (or once per request below ten a second), queueing every waiting actor.</summary>
    private static TokenBucketRateLimiter Limiter(double perSecond, int maxBrowsers)
    {
        var (period, tokens) = perSecond >= 10
            ? (TimeSpan.FromMilliseconds(100), (int)Math.Round(perSecond / 10))
            : (TimeSpan.FromSeconds(1 / perSecond), 1);
        return new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokens,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = maxBrowsers * 4,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }
}
