using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Metrics;

/// <summary>The operations view's buckets and alerts, bound from the <c>Metrics</c> configuration section.</summary>
public sealed class MetricsOptions
{
    /// <summary>How often the counts of the last interval are written as per-minute buckets.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the alert rules are evaluated, over the buckets and the counts not yet written.</summary>
    public TimeSpan AlertInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Buckets and ended alerts older than this are deleted: the longest chart window (a week) plus the day a rule compares with.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(8);

    /// <summary>The alert rules by name; each applies to every deployment group. Configuration overrides a default rule's fields by its name.</summary>
    public Dictionary<string, AlertRule> Rules { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        // A resurrection is a user a logout did not log out (the 2016 rollback): one is worth a look.
        ["resurrections"] = new() { Signal = Signal.Resurrections, Above = 0 },
        // Any store failure fails requests of real users.
        ["store-failures"] = new() { Signal = Signal.StoreFailures, Above = 0 },
        // Shared computers and stale cookies reject a few sessions every day; three times the day's rate means a deployment broke metadata.
        ["metadata-rejections"] = new() { Signal = Signal.Rejections, Above = 20, TimesPreviousDay = 3 },
        ["refusals"] = new() { Signal = Signal.Refusals, Above = 100, TimesPreviousDay = 3 },
    };

    public bool IsValid() =>
        FlushInterval > TimeSpan.Zero && AlertInterval > TimeSpan.Zero && Retention >= TimeSpan.FromDays(1)
        && Rules.Values.All(r => r.Window >= TimeSpan.FromMinutes(1) && r.Window <= TimeSpan.FromDays(1) && r.Above >= 0 && r.TimesPreviousDay >= 0);
}

/// <summary>
/// Fires for a deployment group when the count of <see cref="Signal"/> over the last <see cref="Window"/> is above
/// <see cref="Above"/> and, when <see cref="TimesPreviousDay"/> is set, above that many times the previous day's
/// count over a window of the same length.
/// </summary>
public sealed class AlertRule
{
    public Signal Signal { get; set; }
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);
    public long Above { get; set; }
    /// <summary>0 for an absolute threshold only.</summary>
    public double TimesPreviousDay { get; set; }
    public bool Enabled { get; set; } = true;

    /// <summary>Whether the rule fires for a window's <paramref name="count"/> after a previous day with <paramref name="previousDay"/>.</summary>
    public bool Fires(long count, long previousDay) =>
        Enabled && count > Above && (TimesPreviousDay <= 0 || count > TimesPreviousDay * Baseline(previousDay));

    /// <summary>The previous day's count scaled to one window.</summary>
    public double Baseline(long previousDay) => previousDay * Window / TimeSpan.FromDays(1);

    public string Describe(long count, long previousDay) =>
        $"{Capitalized(SessionMetrics.Describe(Signal))}: {count} in {Minutes(Window)}, above {Above}"
        + (TimesPreviousDay > 0 ? $" and {TimesPreviousDay:0.#}× the previous day's {Baseline(previousDay):0.#}" : "");

    private static string Capitalized(string words) => char.ToUpperInvariant(words[0]) + words[1..];

    private static string Minutes(TimeSpan window) =>
        window.TotalMinutes is var m && m == 1 ? "1 minute" : m % 60 == 0 ? $"{m / 60:0} hour{(m == 60 ? "" : "s")}" : $"{m:0} minutes";
}

/// <summary>An alert as the dashboard, the hub and the API show it.</summary>
public sealed record AlertView(long Id, string Rule, string Group, Signal Signal, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long Peak, string Detail)
{
    public static AlertView Of(Alert a) => new(a.Id, a.Rule, WireNames.Of(a.Group), a.Signal, a.StartedAt, a.EndedAt, a.Peak, a.Detail);
}
