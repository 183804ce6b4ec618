using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>What one provider recognised in a request: a session ID, an OAuth grant, or a remember-me token.</summary>
public sealed record ProviderClaim(
    ProviderKind Provider, string? SessionId = null, int? GrantId = null,
    string? RememberUserId = null, string? RememberToken = null, string? Invalid = null);

/// <summary>
/// A session provider: recognises its credential in a request, supplies metadata for a loaded session,
/// may refuse it on refresh, and knows the cookies it sets and clears.
/// </summary>
public abstract class SessionProvider
{
    public abstract ProviderKind Kind { get; }

    /// <summary>The provider's credential in the request, or null when it does not recognise the request.</summary>
    public abstract ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization);

    /// <summary>Names of the cookies the provider sets on the wiki's host.</summary>
    public abstract IReadOnlyList<string> CookieNames(Wiki wiki);

    /// <summary>Metadata this request supplies for the session; compared with the saved metadata.</summary>
    public abstract Task<Dictionary<string, string>> ProvideMetadataAsync(
        SessionsDb db, Session session, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken);

    /// <summary>
    /// A reason to refuse the loaded session after all, given the metadata the provider just supplied, or null to
    /// keep it. Providers bound to a credential supply no metadata once it is gone (revoked grant, deleted bot password).
    /// </summary>
    public virtual EndReason? Refresh(Session session, IReadOnlyDictionary<string, string> provided) => null;

    /// <summary>The cookies that carry the session on the wiki's host.</summary>
    /// <param name="rememberToken">A remember-me token issued with this login, to set as the token cookie.</param>
    public virtual IEnumerable<SetCookie> Persist(Wiki wiki, Session session, string sessionId, GlobalUser? user, ClientInfo client, string? rememberToken) => [];

    /// <summary>Blank and expire exactly the provider's cookies that the request carried.</summary>
    public IEnumerable<SetCookie> Unpersist(Wiki wiki, IReadOnlyDictionary<string, string> carried, ClientInfo client) =>
        CookieRules.Clear(wiki.Host, CookieNames(wiki), carried, client);
}

/// <summary>Session ID and user in cookies; can persist any session ID and change the user.</summary>
public sealed class CookieSessionProvider : SessionProvider
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

    public override Task<Dictionary<string, string>> ProvideMetadataAsync(
        SessionsDb db, Session session, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken)
    {
        // The user cookies must name the session's own user: a mixed cookie jar is not a continuation.
        var provided = new Dictionary<string, string>();
        if (session.Wiki is { } wiki)
        {
            if (cookies.TryGetValue(UserIdCookie(wiki), out var userId)) provided["userId"] = userId;
            if (cookies.TryGetValue(UserNameCookie(wiki), out var userName)) provided["userName"] = userName;
        }
        return Task.FromResult(provided);
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

/// <summary>A bot logged in with <c>User@AppId</c>: bound to that bot password and its grants; cannot change the user.</summary>
public sealed class BotPasswordSessionProvider : SessionProvider
{
    public override ProviderKind Kind => ProviderKind.BotPassword;

    public static string SessionCookie(Wiki wiki) => $"{wiki.DbName}_BPsession";

    public override IReadOnlyList<string> CookieNames(Wiki wiki) => [SessionCookie(wiki)];

    public override ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization)
    {
        if (!cookies.TryGetValue(SessionCookie(wiki), out var id)) return null;
        return Secrets.IsSessionId(id)
            ? new ProviderClaim(Kind, SessionId: id.ToLowerInvariant())
            : new ProviderClaim(Kind, Invalid: $"The {SessionCookie(wiki)} cookie is not a session ID (32 hex digits).");
    }

    public override async Task<Dictionary<string, string>> ProvideMetadataAsync(
        SessionsDb db, Session session, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken)
    {
        var saved = Metadata.Parse(session.Metadata);
        if (!saved.TryGetValue("appId", out var appId) || session.UserId is not { } userId) return [];
        // The bot password the app ID names now: a deleted and re-created one is a different password.
        var current = await db.BotPasswords.AsNoTracking()
            .Where(p => p.UserId == userId && p.AppId == appId && p.RevokedAt == null)
            .Select(p => new { p.Id, p.Grants })
            .FirstOrDefaultAsync(cancellationToken);
        return current is null ? [] : new() { ["botPasswordId"] = current.Id.ToString(), ["grants"] = current.Grants };
    }

    public override EndReason? Refresh(Session session, IReadOnlyDictionary<string, string> provided) =>
        provided.Count == 0 ? EndReason.GrantRevoked : null;

    public override IEnumerable<SetCookie> Persist(Wiki wiki, Session session, string sessionId, GlobalUser? user, ClientInfo client, string? rememberToken) =>
        [CookieRules.Set(wiki.Host, SessionCookie(wiki), sessionId, null, client)];
}

/// <summary>
/// A consumer application acting for a user through an OAuth grant. The session ID is derived from the
/// grant, the user token and the farm epoch, so it cannot be persisted arbitrarily and the user cannot change.
/// </summary>
public sealed class OAuthSessionProvider : SessionProvider
{
    public override ProviderKind Kind => ProviderKind.OAuth;

    public override IReadOnlyList<string> CookieNames(Wiki wiki) => [];

    /// <summary>
    /// The Authorization header value a tool sends for a grant: <c>OAuth {grantId}.{mac}</c>. The MAC covers the user
    /// token and farm epoch at issue, so invalidating the user or everyone voids every authorization issued before.
    /// </summary>
    public static string Authorization(string serverSecret, int grantId, string userToken, long epoch) =>
        $"OAuth {grantId}.{Mac(serverSecret, grantId, userToken, epoch)}";

    private static string Mac(string serverSecret, int grantId, string userToken, long epoch) =>
        Secrets.Hmac(serverSecret, $"oauth-token|{grantId}|{userToken}|{epoch}")[..40];

    /// <summary>The derived session ID of an OAuth session.</summary>
    public static string SessionId(string serverSecret, Session session) =>
        Secrets.Hmac(serverSecret, $"oauth-session|{session.OAuthGrantId}|{session.WikiId}|{session.UserToken}|{session.Epoch}|{session.CreatedAt.UtcTicks}")[..32];

    public override ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("OAuth ", StringComparison.Ordinal)) return null;
        var token = authorization["OAuth ".Length..].Trim();
        var dot = token.IndexOf('.');
        return dot > 0 && int.TryParse(token[..dot], out var grantId)
            ? new ProviderClaim(Kind, GrantId: grantId, RememberToken: token[(dot + 1)..])
            : new ProviderClaim(Kind, Invalid: "The OAuth Authorization header is malformed; expected 'OAuth <grant>.<token>'.");
    }

    /// <summary>True when the claim's token was issued by this server for its grant since the user's and the farm's last invalidation.</summary>
    public static bool Verify(string serverSecret, ProviderClaim claim, string userToken, long epoch) =>
        claim.GrantId is { } id && claim.RememberToken is { } mac && Secrets.FixedTimeEquals(mac, Mac(serverSecret, id, userToken, epoch));

    public override async Task<Dictionary<string, string>> ProvideMetadataAsync(
        SessionsDb db, Session session, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken)
    {
        var grant = await db.OAuthGrants.AsNoTracking().Include(g => g.Consumer)
            .FirstOrDefaultAsync(g => g.Id == session.OAuthGrantId && g.RevokedAt == null, cancellationToken);
        return grant is null ? [] : SavedMetadata(grant);
    }

    public override EndReason? Refresh(Session session, IReadOnlyDictionary<string, string> provided) =>
        provided.Count == 0 ? EndReason.GrantRevoked : null;

    public static Dictionary<string, string> SavedMetadata(OAuthGrant grant) => new()
    {
        ["consumer"] = grant.Consumer?.Name ?? "",
        ["grantId"] = grant.Id.ToString(),
        ["userId"] = grant.UserId.ToString(),
    };
}
