namespace WikiSessions.Core.Domain;

/// <summary>One thing that happened to a session; swept after the retention period.</summary>
public class SessionEvent
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public SessionEventKind Kind { get; set; }
    public int? WikiId { get; set; }
    public long? SessionId { get; set; }
    public string? SessionHandle { get; set; }
    public int? UserId { get; set; }
    /// <summary>Bounded to <see cref="MaxDetail"/> characters so event logging cannot grow without bound.</summary>
    public string Detail { get; set; } = "";
    public const int MaxDetail = 500;
}

/// <summary>A load whose provided metadata conflicted with the saved metadata.</summary>
public class MetadataDiff
{
    public long Id { get; set; }
    public long SessionId { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Saved { get; set; }
    public required string Provided { get; set; }
    /// <summary>Comma-separated keys present in both with different values.</summary>
    public required string ConflictingKeys { get; set; }
}

/// <summary>The fan-out of one logout across the farm.</summary>
public class LogoutTrace
{
    /// <summary>Random, non-secret ID returned to the wiki as <c>traceId</c>.</summary>
    public required string Id { get; set; }
    public int? UserId { get; set; }
    public int StartedOnWikiId { get; set; }
    public LogoutScope Scope { get; set; }
    public DateTimeOffset StartedAt { get; set; }
    public DateTimeOffset FinishedAt { get; set; }
    public LogoutOutcome Outcome { get; set; }
    /// <summary>True when the central session was still alive after the logout: the user can be auto-logged in again.</summary>
    public bool CentralSessionSurvived { get; set; }
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
    /// <summary>A CentralAuth logout: the fingerprint of the global token the logout should have rotated away.</summary>
    public string? GlobalTokenPrint { get; set; }
    /// <summary>A CentralAuth logout: when a later write of the user carried a new global token, so the rotation was observed, not only inferred.</summary>
    public DateTimeOffset? RotationConfirmedAt { get; set; }
    public List<LogoutTraceStep> Steps { get; set; } = [];
}

public class LogoutTraceStep
{
    public long Id { get; set; }
    public required string TraceId { get; set; }
    public int Order { get; set; }
    public int WikiId { get; set; }
    public int SessionsFound { get; set; }
    public int SessionsEnded { get; set; }
    /// <summary>Comma-separated names of the cookies cleared on the wiki's host.</summary>
    public string CookiesCleared { get; set; } = "";
    /// <summary>What happened on the wiki, as a type: the dashboard colours and filters by it.</summary>
    public TraceStepKind Kind { get; set; }
    /// <summary>The same in words, with any detail (remember-me tokens voided).</summary>
    public required string Outcome { get; set; }
    public DateTimeOffset At { get; set; }
    public double DurationMs { get; set; }
}

/// <summary>An administrative action. Append-only: the context refuses to update or delete entries.</summary>
public class AuditEntry
{
    public long Id { get; set; }
    public DateTimeOffset At { get; set; }
    public required string Actor { get; set; }
    public required string Action { get; set; }
    public required string Reason { get; set; }
    /// <summary>What it acted on: a user name, a session handle, or <c>farm</c>.</summary>
    public required string Target { get; set; }
    public int SessionsEnded { get; set; }
    public string Detail { get; set; } = "";
}
