using System.Text.Json.Serialization;

namespace WikiSessions.Core.Domain;

public enum BulkJobKind
{
    /// <summary>Revoke every session that matches a filter (session scope: each matching session, nothing linked to it).</summary>
    [JsonStringEnumMemberName("revoke-sessions")] RevokeSessions,
    /// <summary>Invalidate every user with a session that matches a filter: each user's token is reset, as for one user.</summary>
    [JsonStringEnumMemberName("invalidate-users")] InvalidateUsers,
}

public enum BulkJobState { Running, Cancelled, Done }

/// <summary>
/// A steward's action on everything a filter matches, run in batches by a background service. The store keeps where it
/// is (<see cref="Cursor"/>), so a restarted instance carries on from the last committed batch.
/// </summary>
public class BulkJob
{
    public long Id { get; set; }
    public BulkJobKind Kind { get; set; }
    public BulkJobState State { get; set; }
    public required string Actor { get; set; }
    public required string Reason { get; set; }
    /// <summary>The filter as JSON (<see cref="Admin.SessionFilter"/>).</summary>
    public required string Filter { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    /// <summary>What matched when the job started: sessions to revoke, or users to invalidate.</summary>
    public int Matched { get; set; }
    /// <summary>The highest key done: a session ID, or a user ID for <see cref="BulkJobKind.InvalidateUsers"/>.</summary>
    public long Cursor { get; set; }
    /// <summary>The cursor when the job started, for its progress.</summary>
    public long FirstKey { get; set; }
    /// <summary>The highest key when the job started: rows made after it are not the job's.</summary>
    public long LastKey { get; set; }
    /// <summary>The highest session, central session and remember-me token IDs when the job started, for its check.</summary>
    public long SessionsBefore { get; set; }
    public long CentralsBefore { get; set; }
    public long TokensBefore { get; set; }
    public int Batches { get; set; }
    public int UsersInvalidated { get; set; }
    public int SessionsEnded { get; set; }
    public int CentralSessionsEnded { get; set; }
    public int RememberTokensEnded { get; set; }
    public bool CancelRequested { get; set; }
    public string? CancelledBy { get; set; }
    /// <summary>Null until the job's final check ran.</summary>
    public bool? CheckPassed { get; set; }
    public string? CheckSummary { get; set; }
    /// <summary>What the job deliberately left able to bring a session back, in words.</summary>
    public string? Survives { get; set; }
}
