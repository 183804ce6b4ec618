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

    public static Task<int> EndAsync(IQueryable<RememberToken> tokens, EndReason reason, DateTimeOffset now, CancellationToken cancellationToken) =>
        tokens.Where(t => t.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(t => t.EndedAt, now)
            .SetProperty(t => t.EndReason, reason), cancellationToken);

    /// <summary>
    /// The central sessions of the browser that holds a session: the one it is linked to, and the one of the remember-me
    /// token it was restored from. A browser-scope revoke ends what hangs off them.
    /// </summary>
    public static async Task<IReadOnlyList<long>> BrowserCentralsAsync(SessionsDb db, long? centralSessionId, long? rememberTokenId, CancellationToken cancellationToken)
    {
        var tokenCentral = rememberTokenId is { } tokenId
            ? await db.RememberTokens.Where(t => t.Id == tokenId).Select(t => t.CentralSessionId).FirstOrDefaultAsync(cancellationToken)
            : null;
        return new[] { centralSessionId, tokenCentral }.OfType<long>().Distinct().ToList();
    }

    /// <summary>
    /// Ends everything that hangs off the given central sessions: the sessions linked to them on every wiki, the
    /// remember-me tokens issued with them and the sessions restored from those tokens, then the central sessions.
    /// </summary>
    public static async Task<(int Sessions, int Tokens, int Centrals)> EndBrowsersAsync(
        SessionsDb db, IReadOnlyCollection<long> centralIds, EndReason reason, string? by, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (centralIds.Count == 0) return (0, 0, 0);
        var tokens = db.RememberTokens.Where(t => t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value));
        // The tokens' IDs first, so the store seeks both indexes (central session, token); a subquery in the OR made
        // SQLite read every open session of the farm instead.
        var tokenIds = await tokens.Select(t => t.Id).ToListAsync(cancellationToken);
        var linked = tokenIds.Count == 0
            ? db.Sessions.Where(s => s.CentralSessionId != null && centralIds.Contains(s.CentralSessionId.Value))
            : db.Sessions.Where(s => (s.CentralSessionId != null && centralIds.Contains(s.CentralSessionId.Value))
                || (s.RememberTokenId != null && tokenIds.Contains(s.RememberTokenId.Value)));
        var sessions = await EndAsync(linked, reason, by, now, cancellationToken);
        var ended = await EndAsync(tokens, reason, now, cancellationToken);
        var centrals = await EndAsync(db.CentralSessions.Where(c => centralIds.Contains(c.Id)), reason, now, cancellationToken);
        return (sessions, ended, centrals);
    }
}
