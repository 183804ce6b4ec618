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
    /// The central sessions of the browser that holds a session: the one it is linked to, the one of the remember-me
    /// token it was restored from, and every other central session of that browser. A browser-scope revoke ends what
    /// hangs off them.
    /// </summary>
    public static async Task<IReadOnlyList<long>> BrowserCentralsAsync(SessionsDb db, long? centralSessionId, long? rememberTokenId, CancellationToken cancellationToken) =>
        (await BrowserOfAsync(db, centralSessionId, rememberTokenId, cancellationToken)).CentralIds;

    /// <summary>The browser that holds a session linked to <paramref name="centralSessionId"/> or restored from <paramref name="rememberTokenId"/>.</summary>
    public static async Task<Browser> BrowserOfAsync(SessionsDb db, long? centralSessionId, long? rememberTokenId, CancellationToken cancellationToken)
    {
        var tokenCentral = rememberTokenId is { } tokenId
            ? await db.RememberTokens.Where(t => t.Id == tokenId).Select(t => t.CentralSessionId).FirstOrDefaultAsync(cancellationToken)
            : null;
        return await BrowserAsync(db, new[] { centralSessionId, tokenCentral }.OfType<long>().Distinct().ToList(), cancellationToken);
    }

    /// <summary>The browser (or browsers) the given central sessions belong to.</summary>
    /// <param name="CentralIds">Every central session the browser ever held that the store still keeps: the given ones
    /// and those joined to them by a login that carried the browser's cookies.</param>
    /// <param name="Unlinked">Some of them were made by a login that was not given the browser's cookies, so sessions the
    /// browser held before that login may not be linked to it.</param>
    public sealed record Browser(IReadOnlyList<long> CentralIds, bool Unlinked);

    public static async Task<Browser> BrowserAsync(SessionsDb db, IReadOnlyCollection<long> centralIds, CancellationToken cancellationToken)
    {
        if (centralIds.Count == 0) return new Browser([], false);
        var named = await db.CentralSessions.Where(c => centralIds.Contains(c.Id)).Select(c => new { c.Id, c.BrowserId, c.Unlinked }).ToListAsync(cancellationToken);
        var browsers = named.Select(c => c.BrowserId).OfType<string>().Distinct().ToList();
        var lineage = browsers.Count == 0 ? []
            : await db.CentralSessions.Where(c => c.BrowserId != null && browsers.Contains(c.BrowserId)).Select(c => new { c.Id, c.Unlinked }).ToListAsync(cancellationToken);
        return new Browser(centralIds.Union(lineage.Select(c => c.Id)).ToList(), named.Any(c => c.Unlinked) || lineage.Any(c => c.Unlinked));
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
