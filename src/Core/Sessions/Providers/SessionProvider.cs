using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>What one provider recognised in a request: a session ID, an OAuth grant, or a remember-me token.</summary>
public sealed record ProviderClaim(
    ProviderKind Provider, string? SessionId = null, int? GrantId = null,
    string? RememberUserId = null, string? RememberToken = null, string? Invalid = null);

/// <summary>What a provider makes of a login or of a request whose claim names no live session.</summary>
public abstract record Made;

/// <summary>
/// A new session to insert: the row (not yet saved), its ID, and the event that records it. The cookies the
/// provider sets for it come from <see cref="SessionProvider.Persist"/>, plus <see cref="ExtraCookies"/> (the central ones).
/// </summary>
public sealed record Draft(Session Session, GlobalUser User, string Id, SessionEventKind Event, string Detail) : Made
{
    public string? RememberToken { get; init; }
    public IReadOnlyList<SetCookie> ExtraCookies { get; init; } = [];
    public string? CentralId { get; init; }
    public string? Authorization { get; init; }
}

/// <summary>The live session this credential already made on this wiki, handed back instead of a new one.</summary>
public sealed record Again(Session Session, GlobalUser User, string Id) : Made
{
    public string? Authorization { get; init; }
}

/// <summary>The provider refuses, and says why in words for the wiki's log.</summary>
public sealed record Refused(string Reason) : Made;

/// <summary>
/// A session provider: recognises its credential in a request, finds or derives its session, binds a new session to
/// its credential at login, supplies metadata for a loaded session, and knows the cookies it sets and clears. The
/// engine (<see cref="SessionService"/>) owns priority, validity, metadata checks and the one creation path; a
/// fourth provider is one more class.
/// </summary>
public abstract class SessionProvider
{
    public abstract ProviderKind Kind { get; }

    /// <summary>The provider's credential in the request, or null when it does not recognise the request.</summary>
    public abstract ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization);

    /// <summary>Names of the cookies the provider sets on the wiki's host.</summary>
    public abstract IReadOnlyList<string> CookieNames(Wiki wiki);

    /// <summary>
    /// At login, inside the creation transaction: the new session bound to the provider's credential (central session,
    /// bot password, OAuth grant), or the live session that credential already has. Throws a <see cref="SessionException"/>
    /// to refuse.
    /// </summary>
    public abstract Task<Made> BindAsync(SessionContext c, GlobalUser user, LoginRequest request, CancellationToken cancellationToken);

    /// <summary>The stored session the claim names on this wiki, with its ID; null when the claim names none.</summary>
    public virtual async Task<(Session? Session, string Id)> FindAsync(SessionContext c, ProviderClaim claim, CancellationToken cancellationToken)
    {
        if (claim.SessionId is not { } id) return (null, "");
        var session = await c.FindByIdAsync(id, cancellationToken);
        return (session?.Provider == Kind ? session : null, id);
    }

    /// <summary>
    /// When the claim names no live session, inside the creation transaction: a session made or found again from
    /// another credential of this provider's (remember-me, central session, OAuth grant), a refusal, or null.
    /// </summary>
    public virtual Task<Made?> RecoverAsync(SessionContext c, ProviderClaim? claim, CancellationToken cancellationToken) => Task.FromResult<Made?>(null);

    /// <summary>
    /// Whether the request carries anything <see cref="RecoverAsync"/> could make a session from. When it does not, the
    /// engine answers without a write transaction: an anonymous request or one with dead cookies is a read.
    /// </summary>
    public virtual bool MayRecover(SessionContext c, ProviderClaim? claim) => false;

    /// <summary>
    /// Why the claim cannot yield a session, when reads alone can tell (a dead or refused credential), asked before the
    /// write turn: such a request is answered without a write transaction. Null leaves it to <see cref="RecoverAsync"/>.
    /// </summary>
    public virtual Task<string?> RefusalAsync(SessionContext c, ProviderClaim? claim, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>
    /// At logout, inside its write: ends the provider's credentials of the browser on this wiki that outlive a session
    /// (the cookie provider's remember-me tokens), then the sessions made from them. The logout ends the local session.
    /// </summary>
    /// <param name="centralIds">The browser's central sessions the request names.</param>
    public virtual Task<(int Credentials, int Sessions)> EndOnLogoutAsync(CredentialWrite write, Wiki wiki, IReadOnlyDictionary<string, string> cookies,
        IReadOnlyList<long> centralIds, DateTimeOffset now, CancellationToken cancellationToken) => Task.FromResult((0, 0));

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
