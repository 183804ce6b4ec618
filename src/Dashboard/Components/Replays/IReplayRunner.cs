namespace WikiSessions.Dashboard.Components.Replays;

/// <summary>Starts a scenario of the demo farm (e.g. <c>logout-logs-back-in</c>); the Replays page watches its events in the live feed.</summary>
public interface IReplayRunner
{
    /// <summary>The scenarios that can be started, by name.</summary>
    IReadOnlyList<string> Scenarios { get; }

    /// <summary>Why nothing can be replayed now, in words; null when replays are available.</summary>
    string? Unavailable => null;

    Task StartAsync(string scenario, CancellationToken cancellationToken);
}

/// <summary>The default when the demo farm is not part of this run.</summary>
internal sealed class NoReplayRunner : IReplayRunner
{
    public IReadOnlyList<string> Scenarios => [];

    public string? Unavailable => "The demo farm is not running, so there is nothing to replay. Start the app with DemoFarm:Enabled=true to replay scenarios.";

    public Task StartAsync(string scenario, CancellationToken cancellationToken) =>
        throw new InvalidOperationException(Unavailable);
}
