using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Components.Replays;

/// <summary>What a replay changes beyond the demo traffic it makes itself.</summary>
public enum ReplayReach
{
    /// <summary>Only sessions the replay logs in itself, through the wiki API.</summary>
    OwnTraffic,
    /// <summary>A steward's revoke, of the browser the replay logged in itself.</summary>
    StewardRevoke,
    /// <summary>A steward's invalidation of every session in the farm: real users are logged out.</summary>
    EverySession,
}

/// <summary>Who starts a replay, why (for the audit log), and the word typed to confirm one that ends every session.</summary>
public sealed record ReplayStart(string Scenario, StaffActor Actor, string? Reason = null, string? Confirmation = null)
{
    /// <summary>The word to type before a replay that ends every session, as for the action itself.</summary>
    public const string EveryoneWord = "everyone";

    /// <summary>The reason as the audit log keeps it: it says the replay did it.</summary>
    public string AuditReason => $"Replay {Scenario}: {Reason?.Trim()}";

    /// <summary>
    /// A replay that takes a steward's action needs what the action needs: a steward, a reason, and for every session
    /// the typed confirmation. Checked by the runner, whatever the page showed.
    /// </summary>
    /// <exception cref="SessionException">Forbidden or Invalid, before anything ran.</exception>
    public void Authorize(ReplayReach reach)
    {
        if (Actor.Role == StaffRole.Support)
            throw new SessionException(Failure.Forbidden, $"Only developers and stewards may start replays; {Actor.Name} is support staff.");
        if (reach == ReplayReach.OwnTraffic) return;
        if (Actor.Role != StaffRole.Steward)
            throw new SessionException(Failure.Forbidden,
                $"Replay {Scenario} takes a steward's action on real sessions; only stewards may start it, and {Actor.Name} is {Actor.Role.ToString().ToLowerInvariant()} staff.");
        if (string.IsNullOrWhiteSpace(Reason))
            throw new SessionException(Failure.Invalid, $"Replay {Scenario} takes a steward's action: a reason is required, for the audit log.");
        if (AuditReason.Length > AdminService.MaxReasonLength)
            throw new SessionException(Failure.Invalid, $"The reason is too long: the audit log keeps {AdminService.MaxReasonLength} characters, the replay's name included.");
        if (reach == ReplayReach.EverySession && !string.Equals(Confirmation?.Trim(), EveryoneWord, StringComparison.Ordinal))
            throw new SessionException(Failure.Invalid, $"Replay {Scenario} ends every session in the farm: type '{EveryoneWord}' to confirm.");
    }
}

/// <summary>Starts a scenario of the demo farm (e.g. <c>logout-logs-back-in</c>); the Replays page watches its events in the live feed.</summary>
public interface IReplayRunner
{
    /// <summary>The scenarios that can be started, by name.</summary>
    IReadOnlyList<string> Scenarios { get; }

    /// <summary>Why nothing can be replayed now, in words; null when replays are available.</summary>
    string? Unavailable => null;

    /// <summary>What the scenario changes beyond its own traffic, and so who may start it and with what confirmation.</summary>
    ReplayReach Reach(string scenario) => ReplayReach.OwnTraffic;

    /// <exception cref="SessionException">The staff member may not start it, or the reason or confirmation is missing.</exception>
    Task StartAsync(ReplayStart start, CancellationToken cancellationToken);
}

/// <summary>The default when the demo farm is not part of this run.</summary>
internal sealed class NoReplayRunner : IReplayRunner
{
    public IReadOnlyList<string> Scenarios => [];

    public string? Unavailable => "The demo farm is not running, so there is nothing to replay. Start the app with DemoFarm:Enabled=true to replay scenarios.";

    public Task StartAsync(ReplayStart start, CancellationToken cancellationToken) =>
        throw new InvalidOperationException(Unavailable);
}
