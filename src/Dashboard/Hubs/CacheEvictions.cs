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
/// to start over as soon as it hears Redis again.
/// </summary>
public sealed class CacheEvictions(SessionCache cache, IConfiguration configuration, IOptions<Core.Sessions.SessionOptions> sessionOptions, ILogger<CacheEvictions> logger)
    : IHostedService, IAsyncDisposable
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("wikisessions:cache-evictions");
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private ConnectionMultiplexer? _redis;

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
            cache.Enabled = false;
            logger.LogWarning("Redis unreachable ({Failure}): the session cache is off until it is back, every read goes to the store", e.FailureType);
        };
        _redis.ConnectionRestored += (_, _) =>
        {
            // If this instance evicted anything while cut off, turning the cache on publishes "start over" on this link.
            cache.Enabled = true;
            logger.LogInformation("Redis reachable again: the session cache starts over, empty");
        };
        var subscriber = _redis.GetSubscriber();
        await subscriber.SubscribeAsync(Channel, (_, message) =>
        {
            var text = message.ToString();
            var bar = text.IndexOf('|');
            if (bar > 0 && text[..bar] != _instance) cache.Apply(text[(bar + 1)..]);
        });
        cache.Evicted += Publish;
        cache.Enabled = _redis.IsConnected;
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
        if (_redis is not null) await _redis.DisposeAsync();
    }
}
