using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>Writes shared by the session, logout and admin services.</summary>
internal static class SessionRecords
{
    /// <summary>
    /// The global user of that name, made now if there is none. MediaWiki's first saves of a new account's sessions race
    /// to make it; as for <see cref="AttachAsync"/>, the insert that finds the name taken does nothing.
    /// </summary>
    public static async Task<GlobalUser> UserAsync(SessionsDb db, string name, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, cancellationToken) is { } user) return user;
        var (token, ticks) = (Secrets.NewToken(), at.UtcTicks);
        await (db.Database.IsSqlServer()
            ? db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Users" ("Name", "Token", "Prevented", "CreatedAt", "Version") SELECT {name}, {token}, {false}, {ticks}, 0
                WHERE NOT EXISTS (SELECT 1 FROM "Users" WITH (UPDLOCK, HOLDLOCK) WHERE "Name" = {name})
                """, cancellationToken)
            : db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Users" ("Name", "Token", "Prevented", "CreatedAt", "Version") VALUES ({name}, {token}, {false}, {ticks}, 0) ON CONFLICT ("Name") DO NOTHING
                """, cancellationToken));
        return await db.Users.AsNoTracking().FirstAsync(u => u.Name == name, cancellationToken);
    }

    /// <summary>
    /// Attaches the user to the wiki unless already attached, inside the caller's write. Two first logins of a user on a
    /// wiki race to it on a store with concurrent writers: PostgreSQL answered the second with a duplicate key (a failed
    /// login). The insert that finds the row there, or waits for the racing one to commit, does nothing instead.
    /// </summary>
    /// <remarks>Times go in as the model stores them: UTC ticks (<see cref="Data.UtcTicksConverter"/>).</remarks>
    public static Task AttachAsync(SessionsDb db, int userId, int wikiId, DateTimeOffset at, CancellationToken cancellationToken) =>
        db.Database.IsSqlServer()
            ? db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Attachments" ("UserId", "WikiId", "AttachedAt") SELECT {userId}, {wikiId}, {at.UtcTicks}
                WHERE NOT EXISTS (SELECT 1 FROM "Attachments" WITH (UPDLOCK, HOLDLOCK) WHERE "UserId" = {userId} AND "WikiId" = {wikiId})
                """, cancellationToken)
            : db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO "Attachments" ("UserId", "WikiId", "AttachedAt") VALUES ({userId}, {wikiId}, {at.UtcTicks}) ON CONFLICT DO NOTHING
                """, cancellationToken);

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
    /// Ends everything that hangs off the given central sessions: the central sessions first, then the remember-me tokens
    /// issued with them, then the sessions linked to them on every wiki and those restored from the tokens. In that order
    /// because a store with concurrent writers lets an auto-login or a restore commit between two statements: one that
    /// claims a central session or a token after it ended fails, and one that committed before is ended by the later
    /// statements. The other way round, it would leave a live session on an ended central session.
    /// </summary>
    public static async Task<(int Sessions, int Tokens, int Centrals)> EndBrowsersAsync(
        CredentialWrite write, IReadOnlyCollection<long> centralIds, EndReason reason, string? by, DateTimeOffset now, Eviction evicts, CancellationToken cancellationToken)
    {
        if (centralIds.Count == 0) return (0, 0, 0);
        var db = write.Db;
        var centrals = await write.EndAsync(db.CentralSessions.Where(c => centralIds.Contains(c.Id)), reason, now, evicts, cancellationToken);
        var tokens = db.RememberTokens.Where(t => t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value));
        // The tokens' IDs first, so the store seeks both indexes (central session, token); a subquery in the OR made
        // SQLite read every open session of the farm instead.
        var tokenIds = await tokens.Select(t => t.Id).ToListAsync(cancellationToken);
        var ended = await write.EndAsync(tokens, reason, now, evicts, cancellationToken);
        var linked = tokenIds.Count == 0
            ? db.Sessions.Where(s => s.CentralSessionId != null && centralIds.Contains(s.CentralSessionId.Value))
            : db.Sessions.Where(s => (s.CentralSessionId != null && centralIds.Contains(s.CentralSessionId.Value))
                || (s.RememberTokenId != null && tokenIds.Contains(s.RememberTokenId.Value)));
        var sessions = await write.EndAsync(linked, reason, by, now, evicts, cancellationToken);
        return (sessions, ended, centrals);
    }
}
