using Microsoft.Extensions.Options;
using StackExchange.Redis;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// Carries the session cache's evictions between app instances over the Redis of the hub's backplane, so a revoke,
/// logout or invalidation on one instance ends what the others hold in memory within a Redis round trip. While this
/// instance cannot hear Redis, its cache is off and every read goes to the store; an eviction another instance could
/// not publish is bounded by the backstop (<c>Sessions:CacheBackstop</c>, the farm state's included), after which a copy
/// goes back to the store, and ends sooner: an instance that evicted anything while cut off tells every other instance
/// to start over as soon as it hears Redis again. "Hears" is proved, not assumed: after a reconnection the cache goes on
/// only once this instance receives its own probe on the channel, since Redis answering is not yet the subscription
/// restored, and an eviction published between the two would never arrive.
/// </summary>
public sealed class CacheEvictions(SessionCache cache, IConfiguration configuration, IOptions<Core.Sessions.SessionOptions> sessionOptions, ILogger<CacheEvictions> logger)
    : IHostedService, IAsyncDisposable
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("wikisessions:cache-evictions");
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private ConnectionMultiplexer? _redis;
    private string? _probe;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (configuration["SignalR:Redis"] is not { Length: > 0 } redis) return;
        cache.Enabled = false;
        // One instance hears every eviction it makes; several rely on Redis, so their copies also age out.
        cache.Backstop = sessionOptions.Value.CacheBackstop;
        var options = ConfigurationOptions.Parse(redis);
        options.AbortOnConnectFail = false;
        _redis = await ConnectionMultiplexer.ConnectAsync(options);
        _redis.ConnectionFailed += (_, e) =>
        {
            Volatile.Write(ref _probe, null); // a probe still in flight proves nothing about the link now
            cache.Enabled = false;
            logger.LogWarning("Redis unreachable ({Failure}): the session cache is off until it is back, every read goes to the store", e.FailureType);
        };
        _redis.ConnectionRestored += (_, _) => _ = ProbeAsync();
        var subscriber = _redis.GetSubscriber();
        await subscriber.SubscribeAsync(Channel, (_, message) =>
        {
            var text = message.ToString();
            var bar = text.IndexOf('|');
            if (bar <= 0) return;
            var eviction = text[(bar + 1)..];
            if (text[..bar] == _instance)
            {
                var pending = Volatile.Read(ref _probe);
                if (pending is not null && eviction == "probe:" + pending && ReferenceEquals(Interlocked.CompareExchange(ref _probe, null, pending), pending))
                {
                    // If this instance evicted anything while cut off, turning the cache on publishes "start over" on this link.
                    cache.Enabled = true;
                    logger.LogInformation("Redis reachable again: the session cache starts over, empty");
                }
            }
            else if (!eviction.StartsWith("probe:", StringComparison.Ordinal))
            {
                cache.Apply(eviction);
            }
        });
        cache.Evicted += Publish;
        cache.Enabled = _redis.IsConnected;
    }

    /// <summary>Publishes a probe of its own until it comes back on the channel (the message handler turns the cache on) or a newer probe replaces it.</summary>
    private async Task ProbeAsync()
    {
        var probe = Guid.NewGuid().ToString("N");
        Volatile.Write(ref _probe, probe);
        while (Volatile.Read(ref _probe) == probe && _redis is { } redis)
        {
            try
            {
                await redis.GetSubscriber().PublishAsync(Channel, $"{_instance}|probe:{probe}");
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Not back yet: the next restoration or round tries again.
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private void Publish(string eviction) =>
        _redis?.GetSubscriber().Publish(Channel, $"{_instance}|{eviction}", CommandFlags.FireAndForget);

    public Task StopAsync(CancellationToken cancellationToken)
    {
        cache.Evicted -= Publish;
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _probe, null);
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
