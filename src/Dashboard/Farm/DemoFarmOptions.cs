using System.ComponentModel.DataAnnotations;

namespace WikiSessions.Dashboard.Farm;

/// <summary>The demo farm's traffic, bound from the <c>DemoFarm</c> configuration section.</summary>
public sealed class DemoFarmOptions
{
    /// <summary>On in the default run, so the dashboard has something to show; tests and real deployments turn it off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests per second over the whole farm.</summary>
    [Range(0.1, 10_000)]
    public double RequestsPerSecond { get; set; } = 5;

    /// <summary>Most simulated browsers, apps, bots and tools alive at once.</summary>
    [Range(1, 10_000)]
    public int MaxBrowsers { get; set; } = 100;

    /// <summary>Stop after this long; empty to run until the app stops.</summary>
    public TimeSpan? Duration { get; set; }
}

/// <summary>Settings of the failure replays, bound from the <c>Replays</c> configuration section.</summary>
public sealed class ReplayOptions
{
    /// <summary>How long the <c>store-outage</c> replay keeps the store down.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan StoreOutageDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Simulated browsers of the <c>invalidate-everyone</c> replay's heavy traffic.</summary>
    [Range(1, 1000)]
    public int HeavyTrafficBrowsers { get; set; } = 24;

    /// <summary>Simultaneous writers of the <c>concurrent-writes</c> replay.</summary>
    [Range(2, 500)]
    public int ConcurrentWriters { get; set; } = 20;
}
