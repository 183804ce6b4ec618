using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace WikiSessions.Dashboard.Farm;

/// <summary>The app's own listening address, once it has started, and an HTTP client for it.</summary>
public sealed class LoopbackAddress(IServer server, IHostApplicationLifetime lifetime)
{
    /// <summary>Waits until the app listens; null when it has no socket (the in-memory test server).</summary>
    public async Task<Uri?> WaitAsync(CancellationToken cancellationToken)
    {
        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
            await started.Task.WaitAsync(cancellationToken);
        }
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var chosen = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault();
        return chosen is null ? null : new Uri(Reachable(chosen));
    }

    /// <summary>A wildcard binding (<c>http://+:80</c>, <c>http://[::]:80</c>) is reached through localhost.</summary>
    internal static string Reachable(string address)
    {
        foreach (var wildcard in new[] { "://+:", "://*:", "://0.0.0.0:", "://[::]:" })
            address = address.Replace(wildcard, "://localhost:", StringComparison.Ordinal);
        return address;
    }

    /// <summary>
    /// One client for all simulated traffic: it plays the wiki servers, whose browsers' cookies travel in the
    /// requests' bodies, so one connection pool serves them all. A development certificate on loopback is accepted.
    /// </summary>
    public static HttpClient Client(Uri address) =>
        new(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => address.IsLoopback },
        })
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        };
}
