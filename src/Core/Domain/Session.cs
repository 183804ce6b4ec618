namespace WikiSessions.Core.Domain;

/// <summary>A session of one wiki and one browser, bot or app. Its ID is never stored, only its hash.</summary>
public class Session
{
    public long Id { get; set; }
    /// <summary>SHA-256 of the session ID (hex).</summary>
    public required string IdHash { get; set; }
    /// <summary>Non-secret name of the session for staff, logs and the hub.</summary>
    public required string Handle { get; set; }
    public int WikiId { get; set; }
    public Wiki? Wiki { get; set; }
    public int? UserId { get; set; }
    public GlobalUser? User { get; set; }
    public ProviderKind Provider { get; set; }
    public SessionOrigin Origin { get; set; }
    public long? CentralSessionId { get; set; }
    public CentralSession? CentralSession { get; set; }
    public int? BotPasswordId { get; set; }
    public int? OAuthGrantId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastActivityAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public bool Remember { get; set; }
    public string? Ip { get; set; }
    /// <summary>The IP as sortable hex (see <see cref="Sessions.IpKeys"/>), so CIDR filters are index range scans.</summary>
    public string? IpKey { get; set; }
    public string? UserAgent { get; set; }
    /// <summary>Provider metadata saved with the session, as a JSON object of strings.</summary>
    public string Metadata { get; set; } = "{}";
    /// <summary>The session's data, a JSON object written by the wiki.</summary>
    public string Data { get; set; } = "{}";
    /// <summary>Bumped on every data write; a write names the version it read.</summary>
    public int DataVersion { get; set; } = 1;
    /// <summary>The user token when the session was made; a reset token ends the session.</summary>
    public string? UserToken { get; set; }
    /// <summary>The farm epoch when the session was made.</summary>
    public long Epoch { get; set; }
    /// <summary>Names of the cookies the session set, comma-separated.</summary>
    public string CookiesSet { get; set; } = "";
    public DateTimeOffset? EndedAt { get; set; }
    public EndReason? EndReason { get; set; }
    public string? EndedBy { get; set; }
    /// <summary>The remember-me token this session was restored from, if any: voiding the token ends the session.</summary>
    public long? RememberTokenId { get; set; }
    /// <summary>
    /// Set when the session was minted from a central session or remember-me token that survived a logout of the
    /// user: that logout did not hold. Lineage, never IP or user-agent coincidence.
    /// </summary>
    public string? ResurrectionOfTraceId { get; set; }
    /// <summary>
    /// A CentralAuth session: a keyed fingerprint of the global user token its central session carried (never the token),
    /// so a logout's token rotation can be confirmed, and a session carrying the token a logout should have rotated found.
    /// </summary>
    public string? GlobalTokenPrint { get; set; }
}

/// <summary>The single-sign-on session on the central login wiki.</summary>
public class CentralSession
{
    public long Id { get; set; }
    public required string IdHash { get; set; }
    public required string Handle { get; set; }
    public int UserId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastActivityAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public bool Remember { get; set; }
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
    public string? UserToken { get; set; }
    public long Epoch { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public EndReason? EndReason { get; set; }
    /// <summary>Optimistic concurrency: a logout and an auto-login racing on it cannot both win.</summary>
    public int Version { get; set; }
    /// <summary>The latest logout of this browser that left the central session alive (a local logout).</summary>
    public string? SurvivedLogoutTraceId { get; set; }
    public DateTimeOffset? SurvivedLogoutAt { get; set; }
    /// <summary>
    /// The browser this central session belongs to: a login that carries the browser's cookies (its central cookie, or
    /// a session or remember-me token of the same user) joins the browser those name, so a central session that idled
    /// out stays linked to its successor and a global logout or a browser revoke reaches all of them. Random, not a
    /// credential. Null only for central sessions made before browsers were recorded.
    /// </summary>
    public string? BrowserId { get; set; }
    /// <summary>
    /// Made by a login that was not given the browser's cookies at all: the browser may hold older sessions of the user
    /// that nothing links to this one, so a global logout of it cannot claim to be complete.
    /// </summary>
    public bool Unlinked { get; set; }
    /// <summary>A CentralAuth central session: a keyed fingerprint of the global user token its value carries (never the token).</summary>
    public string? GlobalTokenPrint { get; set; }
}

/// <summary>
/// A remember-me token: restores a session on its wiki from the <c>{wiki}UserID</c> and <c>{wiki}Token</c> cookies
/// without a login. Random, stored only as a hash, with a server-decided expiry that does not slide, and bound to
/// the user token and farm epoch at issue and to the browser's central session, whose logout voids it.
/// </summary>
public class RememberToken
{
    public long Id { get; set; }
    public required string TokenHash { get; set; }
    public int UserId { get; set; }
    public int WikiId { get; set; }
    public long? CentralSessionId { get; set; }
    public DateTimeOffset IssuedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public string? UserToken { get; set; }
    public long Epoch { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public EndReason? EndReason { get; set; }
}
