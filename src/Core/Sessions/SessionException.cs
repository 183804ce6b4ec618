namespace WikiSessions.Core.Sessions;

/// <summary>What kind of failure; the HTTP layer maps each to its status code.</summary>
public enum Failure
{
    Invalid, NotFound, Forbidden, Conflict, Misconfigured, Unavailable,
    /// <summary>One value is larger than a value may be (413).</summary>
    TooLarge,
    /// <summary>The caller's share of the store is used up (507): delete, or wait for values to expire.</summary>
    QuotaExceeded,
}

/// <summary>A request the engine refused. <see cref="Exception.Message"/> is the title shown to the operator; nothing was changed.</summary>
public sealed class SessionException(Failure failure, string title, Exception? inner = null) : Exception(title, inner)
{
    public Failure Failure { get; } = failure;
    /// <summary>For a version conflict: the version the store holds.</summary>
    public int? CurrentVersion { get; init; }
}
