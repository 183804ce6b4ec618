using WikiSessions.Core.Metrics;

namespace WikiSessions.Core.Domain;

/// <summary>
/// One signal's value in one minute, for one wiki or (with no wiki) one deployment group's total. Written by
/// <see cref="MetricsWriter"/> only, kept for <see cref="MetricsOptions.Retention"/>. Only values that are not zero
/// are written; a wiki's active sessions only when they changed since the minute before.
/// </summary>
public class MetricBucket
{
    public long Id { get; set; }
    /// <summary>Minutes since the Unix epoch (UTC): whole numbers, so the store can group them into hours or days itself.</summary>
    public long Minute { get; set; }
    public int? WikiId { get; set; }
    public DeploymentGroup Group { get; set; }
    public Signal Signal { get; set; }
    public long Value { get; set; }
}

/// <summary>An alert rule that fired for a deployment group, from when it started to when it ended (null while it lasts).</summary>
public class Alert
{
    public long Id { get; set; }
    public required string Rule { get; set; }
    public DeploymentGroup Group { get; set; }
    public Signal Signal { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    /// <summary>The highest value seen while the alert lasted.</summary>
    public long Peak { get; set; }
    /// <summary>What the rule said in words when it fired ("3 resurrections in 10 minutes, above 0").</summary>
    public required string Detail { get; set; }
    public const int MaxDetail = 300;
}
