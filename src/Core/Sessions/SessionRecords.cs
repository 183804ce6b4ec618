using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>Writes shared by the session, logout and admin services.</summary>
internal static class SessionRecords
{
    /// <summary>Ends every still-active session of <paramref name="sessions"/> in one statement.</summary>
    public static Task<int> EndAsync(IQueryable<Session> sessions, EndReason reason, string? by, DateTimeOffset now, CancellationToken cancellationToken) =>
        sessions.Where(s => s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, now)
            .SetProperty(s => s.EndReason, reason)
            .SetProperty(s => s.EndedBy, by), cancellationToken);

    public static Task<int> EndAsync(IQueryable<CentralSession> sessions, EndReason reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        sessions.Where(s => s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, now)
            .SetProperty(s => s.EndReason, reason)
            .SetProperty(s => s.Version, s => s.Version + 1), cancellationToken);

    public static SessionEvent Event(SessionEventKind kind, DateTimeOffset at, int? wikiId, Session? session, int? userId, string detail) => new()
    {
        Kind = kind,
        At = at,
        WikiId = wikiId,
        SessionId = session?.Id is > 0 ? session.Id : null,
        SessionHandle = session?.Handle,
        UserId = userId,
        Detail = detail.Length > SessionEvent.MaxDetail ? detail[..SessionEvent.MaxDetail] : detail,
    };

    /// <summary>Why an active-looking session can no longer be used, or null when it can.</summary>
    public static EndReason? Invalidity(Session session, GlobalUser? user, long epoch, DateTimeOffset now)
    {
        if (session.EndedAt is not null) return session.EndReason ?? EndReason.Idle;
        if (session.Epoch != epoch) return EndReason.EveryoneInvalidated;
        if (user is { Prevented: true }) return EndReason.Prevented;
        if (user is not null && session.UserToken != user.Token) return EndReason.UserInvalidated;
        if (session.ExpiresAt <= now) return EndReason.Idle;
        return null;
    }

    public static EndReason? Invalidity(CentralSession central, GlobalUser user, long epoch, DateTimeOffset now)
    {
        if (central.EndedAt is not null) return central.EndReason ?? EndReason.Idle;
        if (central.Epoch != epoch) return EndReason.EveryoneInvalidated;
        if (user.Prevented) return EndReason.Prevented;
        if (central.UserToken != user.Token) return EndReason.UserInvalidated;
        if (central.ExpiresAt <= now) return EndReason.Idle;
        return null;
    }
}
