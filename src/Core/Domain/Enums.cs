using System.Text.Json.Serialization;

namespace WikiSessions.Core.Domain;

/// <summary>Deployment group: a change reaches group0 (test wikis) first, then group1, then group2.</summary>
public enum DeploymentGroup { Group0, Group1, Group2 }

public enum WikiStatus { Open, Closed, Private }

/// <summary>The session providers the farm runs.</summary>
public enum ProviderKind
{
    Cookie,
    [JsonStringEnumMemberName("botpassword")] BotPassword,
    [JsonStringEnumMemberName("oauth")] OAuth,
}

public enum StaffRole { Steward, Developer, Support }

/// <summary>How a session came to be.</summary>
public enum SessionOrigin
{
    Login,
    AutoLogin,
    RememberMe,
    OAuthRequest,
    /// <summary>A session a stock MediaWiki keeps in the service's store (the Kask protocol).</summary>
    MediaWiki,
}

/// <summary>Why a session ended. Shown to support staff in plain words by <see cref="EndReasons.Describe"/>.</summary>
public enum EndReason
{
    LoggedOut,
    LoggedOutElsewhere,
    Idle,
    Revoked,
    UserInvalidated,
    Prevented,
    MetadataConflict,
    GrantRevoked,
    EveryoneInvalidated,
    Replaced,
    WikiClosed,
    Locked,
    /// <summary>Reached an expiry that use does not extend: a remember-me token's lifetime, or the expiry MediaWiki wrote with its session.</summary>
    Expired,
}

public enum SessionEventKind
{
    Created,
    AutoLogin,
    Ended,
    MetadataRejected,
    Refused,
    LogoutTraceFinished,
    Resurrection,
    AdminAction,
    StoreFailure,
    /// <summary>A demo-farm replay finished; published to the live feed only.</summary>
    ReplayFinished,
    /// <summary>MediaWiki wrote a session value the console cannot read: it is kept as written, with no session shown.</summary>
    OpaqueValue,
}

public enum LogoutScope { Global, Local }

/// <summary>
/// What a steward's revoke ends: the browser (the session, its central session, every session linked to that,
/// and the browser's remember-me tokens) or this session only, leaving the central session able to log the user back in.
/// </summary>
public enum RevokeScope { Browser, Session }

public enum LogoutOutcome
{
    Complete,
    Partial,
    [JsonStringEnumMemberName("nothing-to-do")] NothingToDo,
}

/// <summary>What one step of a logout trace found and did on its wiki.</summary>
public enum TraceStepKind
{
    /// <summary>Every session found was ended by this logout.</summary>
    Ended,
    /// <summary>Some sessions found were ended concurrently by something else.</summary>
    PartlyEnded,
    /// <summary>The session the browser named had already ended.</summary>
    AlreadyEnded,
    /// <summary>The browser carried no session for this wiki.</summary>
    NoSession,
    /// <summary>A local logout left the central session alive: auto-login can log the user back in.</summary>
    CentralLeftAlive,
}

public static class EndReasons
{
    /// <summary>The reason a session ended, in words a support agent can read out to a user.</summary>
    public static string Describe(EndReason reason) => reason switch
    {
        EndReason.LoggedOut => "The user logged out on this wiki.",
        EndReason.LoggedOutElsewhere => "The user logged out on another wiki; the logout ended this session too.",
        EndReason.Idle => "Expired after a period of inactivity.",
        EndReason.Revoked => "Revoked by a steward.",
        EndReason.UserInvalidated => "All of the user's sessions were invalidated (user token reset).",
        EndReason.Prevented => "The user was prevented from having sessions.",
        EndReason.MetadataConflict => "Rejected: the request did not match the session's saved provider metadata.",
        EndReason.GrantRevoked => "Its bot password or OAuth grant was revoked or deleted.",
        EndReason.EveryoneInvalidated => "Every session in the farm was invalidated after an incident.",
        EndReason.Replaced => "Replaced by a new login in the same browser.",
        EndReason.WikiClosed => "The wiki was closed.",
        EndReason.Locked => "The user was locked by a steward.",
        EndReason.Expired => "Reached its expiry (a remember-me token's lifetime, or the expiry its wiki wrote with it).",
        _ => reason.ToString(),
    };
}
