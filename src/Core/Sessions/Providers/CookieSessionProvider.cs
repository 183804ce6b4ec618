using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Session ID and user in cookies; can persist any session ID and change the user. Bound at login to the browser's
/// central session (CentralAuth), from which it auto-logs the user in on other wikis, and optionally to a
/// remember-me token that restores a session on its wiki.
/// </summary>
public sealed class CookieSessionProvider(FarmDirectory farm) : SessionProvider
{
    public override ProviderKind Kind => ProviderKind.Cookie;

    public static string SessionCookie(Wiki wiki) => $"{wiki.DbName}_session";
    public static string UserIdCookie(Wiki wiki) => $"{wiki.DbName}UserID";
    public static string UserNameCookie(Wiki wiki) => $"{wiki.DbName}UserName";
    public static string TokenCookie(Wiki wiki) => $"{wiki.DbName}Token";

    public override IReadOnlyList<string> CookieNames(Wiki wiki) =>
        [SessionCookie(wiki), UserIdCookie(wiki), UserNameCookie(wiki), TokenCookie(wiki)];

    public override ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization)
    {
        cookies.TryGetValue(UserIdCookie(wiki), out var userId);
        cookies.TryGetValue(TokenCookie(wiki), out var token);
        if (cookies.TryGetValue(SessionCookie(wiki), out var id))
        {
            return Secrets.IsSessionId(id)
                ? new ProviderClaim(Kind, SessionId: id.ToLowerInvariant(), RememberUserId: userId, RememberToken: token)
                : new ProviderClaim(Kind, Invalid: $"The {SessionCookie(wiki)} cookie is not a session ID (32 hex digits).");
        }
        return userId is not null && token is not null ? new ProviderClaim(Kind, RememberUserId: userId, RememberToken: token) : null;
    }

    public override async Task<Made> BindAsync(SessionContext c, GlobalUser user, LoginRequest request, CancellationToken cancellationToken)
    {
        var (central, centralId, centralCookies) = await CentralForLoginAsync(c, user, request, cancellationToken);
        // A new central session is inserted with the session, in one batch; the remember-me token needs its key first.
        if (central.Id == 0 && request.Remember) await c.Db.SaveChangesAsync(cancellationToken);
        var session = c.NewSession(user, Kind, SessionOrigin.Login, request.Remember);
        if (central.Id == 0) session.CentralSession = central;
        else session.CentralSessionId = central.Id;
        session.Metadata = Metadata.Write(SavedMetadata(user, central: true));
        return new Draft(session, user, Secrets.NewSessionId(), SessionEventKind.Created, "Logged in through cookie")
        {
            RememberToken = request.Remember ? IssueRememberToken(c, user, central) : null,
            ExtraCookies = centralCookies,
            CentralId = centralId,
        };
    }

    public override bool MayRecover(SessionContext c, ProviderClaim? claim) =>
        claim is { RememberUserId: not null, RememberToken: not null }
        || (c.CentralCookies.TryGetValue(CookieRules.CentralSession, out var centralId) && Secrets.IsSessionId(centralId));

    /// <summary>When the session cookie names no live session: the remember-me cookies, then the central session.</summary>
    public override async Task<Made?> RecoverAsync(SessionContext c, ProviderClaim? claim, CancellationToken cancellationToken) =>
        (claim is { RememberUserId: not null, RememberToken: not null } ? await RestoreAsync(c, claim, cancellationToken) : null)
        ?? await AutoLoginAsync(c, cancellationToken);

    /// <summary>
    /// CentralAuth's auto-login: a live central session logs the user in on this wiki too. The central session is read
    /// and claimed (its version moved on) inside the creation transaction, so a global logout that commits first wins
    /// and one that commits after ends what this made. A client that does not keep cookies gets the session already
    /// minted for this central session on this wiki, not a new one per request.
    /// </summary>
    private async Task<Made?> AutoLoginAsync(SessionContext c, CancellationToken cancellationToken)
    {
        if (!c.CentralCookies.TryGetValue(CookieRules.CentralSession, out var centralId) || !Secrets.IsSessionId(centralId)) return null;
        centralId = centralId.ToLowerInvariant();
        var hash = Secrets.Sha256(centralId);
        var central = await c.Db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.IdHash == hash, cancellationToken);
        if (central is null) return null;
        var user = await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == central.UserId, cancellationToken);
        if (Validity.Reason(central, user, c.State.Epoch, c.Now) is { } reason)
        {
            if (central.EndedAt is null)
                await c.Write.EndAsync(c.Db.CentralSessions.Where(s => s.Id == central.Id), reason, c.Now,
                    Eviction.None("no instance keeps central sessions; a session linked to one is checked on its own"), cancellationToken);
            return null;
        }
        if (await c.RefusesAsync(user, cancellationToken) is not null) return null;

        var previous = await c.Db.Sessions.AsNoTracking()
            .Where(s => s.CentralSessionId == central.Id && s.WikiId == c.Wiki.Id && s.Origin == SessionOrigin.AutoLogin)
            .OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (previous is not null && Validity.Reason(previous, user, c.Wiki, c.State.Epoch, c.Now) is null)
            return new Again(previous, user, c.DerivedId("auto", centralId, previous));

        if (!await ClaimAsync(c, central, cancellationToken)) return null;

        await c.AttachAsync(user, cancellationToken);
        var session = c.NewSession(user, Kind, SessionOrigin.AutoLogin, central.Remember, c.NextCreatedAt(previous?.CreatedAt));
        session.CentralSessionId = central.Id;
        session.Metadata = Metadata.Write(SavedMetadata(user, central: true));
        session.ResurrectionOfTraceId = c.SurvivedLogout(central);
        return new Draft(session, user, c.DerivedId("auto", centralId, session), SessionEventKind.AutoLogin, $"Auto-login from central session {central.Handle}");
    }

    /// <summary>
    /// "Remember me": the user ID and token cookies restore a session on their wiki while the token's record is valid
    /// (not expired, not voided, same user token and farm epoch). Like auto-login, a client that does not keep cookies
    /// gets the session already restored from this token.
    /// </summary>
    private static async Task<Made?> RestoreAsync(SessionContext c, ProviderClaim claim, CancellationToken cancellationToken)
    {
        if (!int.TryParse(claim.RememberUserId, out var userId) || !Secrets.IsSessionId(claim.RememberToken)) return null;
        var tokenValue = claim.RememberToken!.ToLowerInvariant();
        var hash = Secrets.Sha256(tokenValue);
        var token = await c.Db.RememberTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is null || token.WikiId != c.Wiki.Id || token.UserId != userId) return null;
        var user = await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == token.UserId, cancellationToken);
        if (Validity.Reason(token, user, c.State.Epoch, c.Now) is { } reason)
        {
            if (token.EndedAt is null)
                await c.Write.EndAsync(c.Db.RememberTokens.Where(t => t.Id == token.Id), reason, c.Now,
                    Eviction.None("no instance keeps remember-me tokens; a session restored from one is checked on its own"), cancellationToken);
            return null;
        }
        if (await c.RefusesAsync(user, cancellationToken) is not null) return null;

        var previous = await c.Db.Sessions.AsNoTracking()
            .Where(s => s.RememberTokenId == token.Id && s.WikiId == c.Wiki.Id)
            .OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (previous is not null && Validity.Reason(previous, user, c.Wiki, c.State.Epoch, c.Now) is null)
            return new Again(previous, user, c.DerivedId("remember", tokenValue, previous));

        // Claimed as the session is minted: a logout that ended the token since it was read wins, and nothing is made.
        if (!await ClaimAsync(c, token, cancellationToken)) return null;
        var central = token.CentralSessionId is { } centralId
            ? await c.Db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == centralId, cancellationToken)
            : null;
        var session = c.NewSession(user, ProviderKind.Cookie, SessionOrigin.RememberMe, remember: true, c.NextCreatedAt(previous?.CreatedAt));
        session.RememberTokenId = token.Id;
        // Linked to the browser's central session, so a global logout of that browser ends it too.
        session.CentralSessionId = token.CentralSessionId;
        session.Metadata = Metadata.Write(SavedMetadata(user, central: false));
        session.ResurrectionOfTraceId = c.SurvivedLogout(central);
        return new Draft(session, user, c.DerivedId("remember", tokenValue, session), SessionEventKind.Created, "Restored from the remember-me token");
    }

    /// <summary>
    /// Reuse the browser's live central session of the same user, or make a new one; either way it joins the browser the
    /// login's cookies name, so the central sessions the browser held before stay linked to it.
    /// </summary>
    private async Task<(CentralSession Central, string? CentralId, IReadOnlyList<SetCookie> Cookies)> CentralForLoginAsync(
        SessionContext c, GlobalUser user, LoginRequest request, CancellationToken cancellationToken)
    {
        if (c.CentralCookies.TryGetValue(CookieRules.CentralSession, out var carriedId) && Secrets.IsSessionId(carriedId))
        {
            var hash = Secrets.Sha256(carriedId.ToLowerInvariant());
            var existing = await c.Db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.IdHash == hash && s.UserId == user.Id, cancellationToken);
            // A login is activity: the reused central session is refreshed, unless a logout ended it in between. It is a
            // new explicit login, so a local logout it survived no longer makes its auto-logins resurrections.
            if (existing is not null && Validity.Reason(existing, user, c.State.Epoch, c.Now) is null && await ClaimAsync(c, existing, cancellationToken, login: true))
            {
                await JoinBrowserAsync(c, user, existing, cancellationToken);
                return (existing, carriedId.ToLowerInvariant(), []);
            }
        }

        var id = Secrets.NewSessionId();
        var remember = request.Remember;
        var central = new CentralSession
        {
            IdHash = Secrets.Sha256(id), Handle = c.Key.Handle(id), UserId = user.Id,
            CreatedAt = c.Now, LastActivityAt = c.Now, ExpiresAt = c.Now + c.Lifetime(remember), Remember = remember,
            Ip = c.Client.Ip, UserAgent = c.Client.UserAgent, UserToken = user.Token, Epoch = c.State.Epoch,
            BrowserId = await JoinBrowserAsync(c, user, null, cancellationToken),
            Unlinked = request.Cookies is null && request.CentralCookies is null,
        };
        c.Db.CentralSessions.Add(central);

        var centralWiki = await farm.CentralAsync(cancellationToken);
        DateTimeOffset? expires = remember ? central.ExpiresAt : null;
        return (central, id,
        [
            CookieRules.Set(centralWiki.Host, CookieRules.CentralSession, id, expires, c.Client),
            CookieRules.Set(centralWiki.Host, CookieRules.CentralUser, user.Name, expires, c.Client),
        ]);
    }

    /// <summary>
    /// The browser a login joins: the one of the central sessions of the same user that its cookies name, whatever their
    /// state (the central cookie, this wiki's session cookie, its remember-me token). A central session that idled out is
    /// how a browser's older sessions are found. When the cookies name several browsers they become one; when they name
    /// none, the login starts a new browser.
    /// </summary>
    private async Task<string> JoinBrowserAsync(SessionContext c, GlobalUser user, CentralSession? reused, CancellationToken cancellationToken)
    {
        var named = new List<long>();
        if (reused is not null) named.Add(reused.Id);
        if (c.CentralCookies.TryGetValue(CookieRules.CentralSession, out var centralId) && Secrets.IsSessionId(centralId) && reused is null)
        {
            var hash = Secrets.Sha256(centralId.ToLowerInvariant());
            if (await c.Db.CentralSessions.Where(s => s.IdHash == hash && s.UserId == user.Id).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken) is { } carried)
                named.Add(carried);
        }
        if (Claim(c.Wiki, c.Cookies, null) is { Invalid: null } claim)
        {
            if (claim.SessionId is { } sessionId)
            {
                var hash = Secrets.Sha256(sessionId);
                if (await c.Db.Sessions.Where(s => s.IdHash == hash && s.WikiId == c.Wiki.Id && s.UserId == user.Id).Select(s => s.CentralSessionId).FirstOrDefaultAsync(cancellationToken) is { } linked)
                    named.Add(linked);
            }
            if (await IssuedWithAsync(c.Db, c.Wiki, claim, cancellationToken) is { } issuedWith && issuedWith.UserId == user.Id)
                named.Add(issuedWith.CentralId);
        }
        if (named.Count == 0) return Secrets.NewSessionId();
        if (reused is { BrowserId: { } own } && named.All(id => id == reused.Id)) return own;

        var browsers = await c.Db.CentralSessions.Where(s => named.Contains(s.Id)).Select(s => s.BrowserId).Distinct().ToListAsync(cancellationToken);
        var browser = reused?.BrowserId ?? browsers.OfType<string>().FirstOrDefault() ?? Secrets.NewSessionId();
        if (browsers.Any(b => b != browser))
        {
            var others = browsers.OfType<string>().Where(b => b != browser).ToList();
            await c.Db.CentralSessions.Where(s => named.Contains(s.Id) || (s.BrowserId != null && others.Contains(s.BrowserId)))
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.BrowserId, browser), cancellationToken);
        }
        return browser;
    }

    /// <summary>
    /// Claims the central session at the version read, refreshing its activity: false when a logout (or anything else)
    /// changed it in between, so a session is never minted from, or linked to, a central session that has just ended.
    /// </summary>
    /// <param name="login">An explicit login claims it: the logout it survived is behind the user now.</param>
    private static async Task<bool> ClaimAsync(SessionContext c, CentralSession central, CancellationToken cancellationToken, bool login = false) =>
        await c.Db.CentralSessions.Where(s => s.Id == central.Id && s.Version == central.Version && s.EndedAt == null)
            .ExecuteUpdateAsync(u =>
            {
                u.SetProperty(s => s.Version, s => s.Version + 1)
                    .SetProperty(s => s.LastActivityAt, c.Now)
                    .SetProperty(s => s.ExpiresAt, c.Now + c.Lifetime(central.Remember));
                if (login)
                    u.SetProperty(s => s.SurvivedLogoutTraceId, (string?)null).SetProperty(s => s.SurvivedLogoutAt, (DateTimeOffset?)null);
            }, cancellationToken) == 1;

    /// <summary>
    /// The central session the claim's remember-me token was issued with, and its user. The token names its browser only
    /// as the credential it is, paired with its UserID cookie (as a restore reads it): a login joins that browser, and a
    /// global logout reaches it.
    /// </summary>
    public static async Task<(long CentralId, int UserId)?> IssuedWithAsync(SessionsDb db, Wiki wiki, ProviderClaim claim, CancellationToken cancellationToken)
    {
        if (claim is not { RememberToken: { } token, RememberUserId: { } userIdCookie } || !int.TryParse(userIdCookie, out var userId) || !Secrets.IsSessionId(token)) return null;
        var hash = Secrets.Sha256(token.ToLowerInvariant());
        return await db.RememberTokens.Where(t => t.TokenHash == hash && t.WikiId == wiki.Id && t.UserId == userId && t.CentralSessionId != null)
            .Select(t => t.CentralSessionId).FirstOrDefaultAsync(cancellationToken) is { } central ? (central, userId) : null;
    }

    /// <summary>
    /// Claims the remember-me token for a restore: a conditional write that finds it still open, which on a store with
    /// concurrent writers also waits for, and then loses to, a logout ending it. False when it ended since it was read.
    /// </summary>
    private static async Task<bool> ClaimAsync(SessionContext c, RememberToken token, CancellationToken cancellationToken) =>
        await c.Db.RememberTokens.Where(t => t.Id == token.Id && t.EndedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, t => t.ExpiresAt), cancellationToken) == 1;

    /// <summary>
    /// The browser's remember-me tokens on this wiki (the one the request carries, and those issued with its central
    /// sessions) end with any logout there, before the sessions restored from them.
    /// </summary>
    public override async Task<(int Credentials, int Sessions)> EndOnLogoutAsync(CredentialWrite write, Wiki wiki, IReadOnlyDictionary<string, string> cookies,
        IReadOnlyList<long> centralIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var tokenHash = cookies.TryGetValue(TokenCookie(wiki), out var tokenCookie) ? Secrets.Sha256(tokenCookie.ToLowerInvariant()) : null;
        var tokens = write.Db.RememberTokens.Where(t => t.WikiId == wiki.Id
            && (t.TokenHash == tokenHash || (t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value))));
        // The tokens first: matched through a subquery, the store read every open session of the wiki (enwiki's hundreds of thousands).
        var matched = await tokens.Select(t => new { t.Id, t.UserId }).ToListAsync(cancellationToken);
        if (matched.Count == 0) return (0, 0);
        var ids = matched.Select(t => t.Id).ToList();
        var users = Eviction.Users(matched.Select(t => (int?)t.UserId));
        var ended = await write.EndAsync(tokens, EndReason.LoggedOut, now, users, cancellationToken);
        var restored = await write.EndAsync(write.Db.Sessions.Where(s => s.RememberTokenId != null && ids.Contains(s.RememberTokenId.Value)),
            EndReason.LoggedOut, null, now, users, cancellationToken);
        return (ended, restored);
    }

    private static string IssueRememberToken(SessionContext c, GlobalUser user, CentralSession central)
    {
        var token = Secrets.NewSessionId();
        c.Db.RememberTokens.Add(new RememberToken
        {
            TokenHash = Secrets.Sha256(token), UserId = user.Id, WikiId = c.Wiki.Id, CentralSessionId = central.Id,
            IssuedAt = c.Now, ExpiresAt = c.Now + c.Options.RememberDuration, UserToken = user.Token, Epoch = c.State.Epoch,
        });
        return token;
    }

    public override Task<Dictionary<string, string>> ProvideMetadataAsync(
        SessionsDb db, Session session, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken) =>
        Task.FromResult(session.Wiki is { } wiki ? Provided(wiki, cookies) : []);

    /// <summary>The user cookies, which must name the session's own user: a mixed cookie jar is not a continuation.</summary>
    public static Dictionary<string, string> Provided(Wiki wiki, IReadOnlyDictionary<string, string> cookies)
    {
        var provided = new Dictionary<string, string>();
        if (cookies.TryGetValue(UserIdCookie(wiki), out var userId)) provided["userId"] = userId;
        if (cookies.TryGetValue(UserNameCookie(wiki), out var userName)) provided["userName"] = userName;
        return provided;
    }

    public override IEnumerable<SetCookie> Persist(Wiki wiki, Session session, string sessionId, GlobalUser? user, ClientInfo client, string? rememberToken)
    {
        DateTimeOffset? expires = session.Remember ? session.ExpiresAt : null;
        yield return CookieRules.Set(wiki.Host, SessionCookie(wiki), sessionId, expires, client);
        if (user is null) yield break;
        yield return CookieRules.Set(wiki.Host, UserIdCookie(wiki), user.Id.ToString(), expires, client);
        yield return CookieRules.Set(wiki.Host, UserNameCookie(wiki), user.Name, expires, client);
        if (rememberToken is not null)
            yield return CookieRules.Set(wiki.Host, TokenCookie(wiki), rememberToken, expires, client);
    }

    public static Dictionary<string, string> SavedMetadata(GlobalUser user, bool central) => new()
    {
        ["userId"] = user.Id.ToString(),
        ["userName"] = user.Name,
        ["central"] = central ? "true" : "false",
    };
}
