using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// A consumer application acting for a user through an OAuth grant. The tool presents an authorization, not a
/// session ID: its session on each wiki is derived from the authorization, so it cannot be persisted arbitrarily and
/// the user cannot change.
/// </summary>
public sealed class OAuthSessionProvider : SessionProvider
{
    public override ProviderKind Kind => ProviderKind.OAuth;

    public override IReadOnlyList<string> CookieNames(Wiki wiki) => [];

    /// <summary>
    /// The Authorization header value a tool sends for a grant: <c>OAuth {grantId}.{mac}</c>. The MAC covers the user
    /// token and farm epoch at issue, so invalidating the user or everyone voids every authorization issued before, and
    /// the grant's authorization generation, which a steward's revoke of the tool's session moves on.
    /// </summary>
    private static string Mac(ServerKey key, OAuthGrant grant, string userToken, long epoch) =>
        key.Mac(grant.AuthorizationGeneration == 0
            ? $"oauth-token|{grant.Id}|{userToken}|{epoch}"
            : $"oauth-token|{grant.Id}|{userToken}|{epoch}|{grant.AuthorizationGeneration}")[..40];

    public override ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("OAuth ", StringComparison.Ordinal)) return null;
        var token = authorization["OAuth ".Length..].Trim();
        var dot = token.IndexOf('.');
        return dot > 0 && int.TryParse(token[..dot], out var grantId)
            ? new ProviderClaim(Kind, GrantId: grantId, RememberToken: token[(dot + 1)..])
            : new ProviderClaim(Kind, Invalid: "The OAuth Authorization header is malformed; expected 'OAuth <grant>.<token>'.");
    }

    public override async Task<Made> BindAsync(SessionContext c, GlobalUser user, LoginRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Consumer))
            throw new SessionException(Failure.Invalid, "An OAuth login needs a consumer.");
        var grant = await c.Db.OAuthGrants.AsNoTracking().Include(g => g.Consumer)
            .FirstOrDefaultAsync(g => g.UserId == user.Id && g.Consumer!.Name == request.Consumer && g.RevokedAt == null, cancellationToken)
            ?? throw new SessionException(Failure.Forbidden, $"{user.Name} has no OAuth grant for the consumer '{request.Consumer}' (never granted, or revoked).");
        return await SessionOfAsync(c, grant, user, Mac(c.Key, grant, user.Token, c.State.Epoch), cancellationToken);
    }

    /// <summary>
    /// The session the tool's authorization already made on this wiki, found with reads only, so a tool's requests do
    /// not each take a write transaction. A stale MAC finds nothing, and the recovery refuses it.
    /// </summary>
    public override async Task<(Session? Session, string Id)> FindAsync(SessionContext c, ProviderClaim claim, CancellationToken cancellationToken)
    {
        if (claim is not { GrantId: { } grantId, RememberToken: { } mac }) return (null, "");
        var grant = await c.Db.OAuthGrants.AsNoTracking().FirstOrDefaultAsync(g => g.Id == grantId, cancellationToken);
        if (grant is null) return (null, "");
        var session = await c.Db.Sessions.AsNoTracking().Include(s => s.User)
            .Where(s => s.OAuthGrantId == grant.Id && s.WikiId == c.Wiki.Id)
            .OrderByDescending(s => s.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (session?.User is not { } user || !Secrets.FixedTimeEquals(mac, Mac(c.Key, grant, user.Token, c.State.Epoch))) return (null, "");
        return (session, c.DerivedId("oauth", mac, session));
    }

    public override bool MayRecover(SessionContext c, ProviderClaim? claim) => claim is { GrantId: not null, RememberToken: not null };

    /// <summary>A dead authorization (no grant, a MAC from before an invalidation or a revoke, a revoked grant with nothing left to end) is a read.</summary>
    public override async Task<string?> RefusalAsync(SessionContext c, ProviderClaim? claim, CancellationToken cancellationToken)
    {
        if (await ReadAsync(c, claim, cancellationToken) is not { } read) return null;
        if (read.Ends is not null && await c.Db.Sessions.AnyAsync(s => s.OAuthGrantId == read.Grant!.Id && s.WikiId == c.Wiki.Id && s.EndedAt == null, cancellationToken))
            return null;
        return read.Refusal ?? await c.RefusesAsync(read.User!, cancellationToken);
    }

    /// <summary>The tool's authorization names no stored session: its session on this wiki is found again or made from the grant.</summary>
    public override async Task<Made?> RecoverAsync(SessionContext c, ProviderClaim? claim, CancellationToken cancellationToken)
    {
        if (await ReadAsync(c, claim, cancellationToken) is not { } read) return null;
        if (read is { Ends: { } why, Grant: { } grant, User: { } user })
        {
            var ended = await c.Write.EndAsync(c.Db.Sessions.Where(s => s.OAuthGrantId == grant.Id && s.WikiId == c.Wiki.Id), why, null, c.Now,
                Eviction.User(user.Id), cancellationToken);
            if (ended > 0)
                c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Ended, c.Now, c.Wiki.Id, null, user.Id, $"OAuth session of {grant.Consumer?.Name}: {EndReasons.Describe(why)}"));
        }
        if (read.Refusal is { } refusal) return new Refused(refusal);
        if (await c.RefusesAsync(read.User!, cancellationToken) is { } refused)
            return new Refused(refused);
        return await SessionOfAsync(c, read.Grant!, read.User!, read.Mac, cancellationToken);
    }

    /// <summary>What the claim's authorization is worth: its grant and user, why it is refused, and what ends the grant's sessions here.</summary>
    private sealed record Authorization(OAuthGrant? Grant, GlobalUser? User, string Mac, string? Refusal, EndReason? Ends);

    private static async Task<Authorization?> ReadAsync(SessionContext c, ProviderClaim? claim, CancellationToken cancellationToken)
    {
        if (claim is not { GrantId: { } grantId, RememberToken: { } mac }) return null;
        var grant = await c.Db.OAuthGrants.AsNoTracking().Include(g => g.Consumer).FirstOrDefaultAsync(g => g.Id == grantId, cancellationToken);
        var user = grant is null ? null : await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == grant.UserId, cancellationToken);
        if (grant is null || user is null)
            return new Authorization(grant, user, mac, "The OAuth grant no longer exists.", null);
        if (!Secrets.FixedTimeEquals(mac, Mac(c.Key, grant, user.Token, c.State.Epoch)))
            return new Authorization(grant, user, mac, "The OAuth authorization is not valid: it was not issued by this farm, or the user's sessions were invalidated or a steward revoked the tool's session since. The tool must log in again.", null);
        if (grant.RevokedAt is not null || user.Prevented)
            return new Authorization(grant, user, mac, user.Prevented ? $"{user.Barred}." : $"The OAuth grant of {grant.Consumer?.Name} was revoked.",
                user.Prevented ? user.BarredReason : EndReason.GrantRevoked);
        return new Authorization(grant, user, mac, null, null);
    }

    /// <summary>The grant's live session on this wiki, or a new one; either way with the authorization the tool sends.</summary>
    private async Task<Made> SessionOfAsync(SessionContext c, OAuthGrant grant, GlobalUser user, string mac, CancellationToken cancellationToken)
    {
        var authorization = $"OAuth {grant.Id}.{mac}";
        var latest = await c.Db.Sessions.AsNoTracking()
            .Where(s => s.OAuthGrantId == grant.Id && s.WikiId == c.Wiki.Id)
            .OrderByDescending(s => s.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (latest is not null && Validity.Reason(latest, user, c.Wiki, c.State.Epoch, c.Now) is null)
            return new Again(latest, user, c.DerivedId("oauth", mac, latest)) { Authorization = authorization };

        var session = c.NewSession(user, Kind, SessionOrigin.OAuthRequest, remember: false, c.NextCreatedAt(latest?.CreatedAt));
        session.OAuthGrantId = grant.Id;
        session.Metadata = Metadata.Write(SavedMetadata(grant));
        return new Draft(session, user, c.DerivedId("oauth", mac, session), SessionEventKind.Created, $"OAuth request of {grant.Consumer?.Name}")
        {
            Authorization = authorization,
        };
    }

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
