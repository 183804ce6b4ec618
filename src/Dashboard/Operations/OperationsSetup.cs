using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.SignalR;
using OpenTelemetry.Metrics;
using WikiSessions.Core.Metrics;
using WikiSessions.Dashboard.Hubs;

namespace WikiSessions.Dashboard.Operations;

/// <summary>The operations stack's side: <c>/metrics</c> in Prometheus format, and alerts pushed on the hub.</summary>
public static class OperationsSetup
{
    public const string MetricsPath = "/metrics";

    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        // The app's own meters, whose labels are wiki and group, and ASP.NET Core's request durations, labelled by route
        // pattern and status: never a session, user, address or raw path.
        // Every scrape reads the counters as they are: the exporter's default cache (300 ms) would answer a scrape right
        // after a steward's action with the figures from before it.
        services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(SessionMetrics.MeterName, "Microsoft.AspNetCore.Hosting")
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        // Meters are found by name across the process. Another host's meter of the same name (two apps in one process,
        // as in the tests) would share this host's streams and, once that host stopped, take them down with it: only
        // this host's meters are exported. Resolved here, before the exporter starts listening.
        services.ConfigureOpenTelemetryMeterProvider((provider, builder) =>
        {
            var ours = provider.GetRequiredService<SessionMetrics>().Meter;
            var factory = provider.GetRequiredService<IMeterFactory>();
            builder.AddView(i => i.Meter == ours || i.Meter.Scope == factory ? null : MetricStreamConfiguration.Drop);
        });
        services.AddHostedService<AlertPush>();
        return services;
    }

    /// <summary>Open to scrapers without a staff login (restrict it at the proxy, docs/operations.md).</summary>
    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous().DisableRateLimiting();
        return app;
    }
}

/// <summary>Sends each raised or ended alert to the staff who can act (<see cref="LiveFeed.AlertsGroup"/>) as <see cref="LiveFeed.AlertsMethod"/>.</summary>
public sealed class AlertPush(AlertBoard board, IHubContext<SessionsHub> hub, ILogger<AlertPush> logger) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = board.Subscribe(change => _ = SendAsync(change));
        return Task.CompletedTask;
    }

    private async Task SendAsync(AlertChange change)
    {
        try
        {
            await hub.Clients.Group(LiveFeed.AlertsGroup).SendAsync(LiveFeed.AlertsMethod, change);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "Alerts could not be pushed on the live feed");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        return Task.CompletedTask;
    }
}
