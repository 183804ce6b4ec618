namespace WikiSessions.Core.Domain;

/// <summary>One account across the farm (CentralAuth's global user).</summary>
public class GlobalUser
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Resetting the token ends every session of the user, including ones the store has not seen.</summary>
    public required string Token { get; set; }
    /// <summary>No provider may make a session for the user: permanent when prevented, until an unlock when locked.</summary>
    public bool Prevented { get; set; }
    public DateTimeOffset? PreventedAt { get; set; }
    /// <summary>Set while the user is locked: barred like a prevented user, but a steward may unlock them.</summary>
    public DateTimeOffset? LockedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Optimistic concurrency: two admin actions on one user never both win silently.</summary>
    public int Version { get; set; }
    public List<UserAttachment> Attachments { get; set; } = [];

    /// <summary>Why a barred user's sessions end.</summary>
    public EndReason BarredReason => LockedAt is null ? EndReason.Prevented : EndReason.Locked;

    /// <summary>Why a login of a barred user is refused, in words.</summary>
    public string Barred => LockedAt is null
        ? $"{Name} is prevented from having sessions"
        : $"{Name} is locked: no session until a steward unlocks them";
}

public class UserAttachment
{
    public int UserId { get; set; }
    public int WikiId { get; set; }
    public DateTimeOffset AttachedAt { get; set; }
}

public class BotPassword
{
    public int Id { get; set; }
    public int UserId { get; set; }
    public required string AppId { get; set; }
    /// <summary>Comma-separated grant names, e.g. <c>basic,editpage</c>.</summary>
    public required string Grants { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}

public class OAuthConsumer
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public required string Grants { get; set; }
    public string Description { get; set; } = "";
}

public class OAuthGrant
{
    public int Id { get; set; }
    public int UserId { get; set; }
    public int ConsumerId { get; set; }
    public OAuthConsumer? Consumer { get; set; }
    public required string Grants { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
    /// <summary>
    /// Covered by the MAC of the authorizations issued for the grant: a steward's revoke of the tool's session moves it
    /// on, so the authorization the tool holds no longer works while the grant survives (a new OAuth login works).
    /// </summary>
    public int AuthorizationGeneration { get; set; }
}

public class StaffAccount
{
    public int Id { get; set; }
    public required string Name { get; set; }
    public StaffRole Role { get; set; }
    /// <summary>PBKDF2 hash, see <see cref="Sessions.Secrets.HashPassword"/>.</summary>
    public required string PasswordHash { get; set; }
    /// <summary>SHA-256 of the API token for scripts.</summary>
    public required string TokenHash { get; set; }
    /// <summary>True while the account uses a credential from seed-data/demo-credentials.json.</summary>
    public bool IsDemo { get; set; }
    /// <summary>A disabled account cannot log in, and its staff sessions and token stop working.</summary>
    public bool Disabled { get; set; }
    /// <summary>
    /// Changes with the password, the token, the role or <see cref="Disabled"/>; a staff session made under another
    /// stamp is no longer valid.
    /// </summary>
    public string Stamp { get; set; } = "";
    /// <summary>Wrong passwords since the last login or lockout.</summary>
    public int FailedLogins { get; set; }
    /// <summary>Lockouts since the last login: each one lasts twice as long as the one before, up to a cap.</summary>
    public int Lockouts { get; set; }
    /// <summary>Password logins are refused until then.</summary>
    public DateTimeOffset? LockedUntil { get; set; }
}

/// <summary>
/// A dashboard login. The staff cookie carries a random token; the store keeps only its SHA-256, so logout, a
/// changed credential or role, or a disabled account can end the login on the server.
/// </summary>
public class StaffSession
{
    public long Id { get; set; }
    public required string TokenHash { get; set; }
    /// <summary>The local account, or null for a login vouched for by the organisation's identity provider.</summary>
    public int? StaffAccountId { get; set; }
    public required string Name { get; set; }
    /// <summary>The account's <see cref="StaffAccount.Stamp"/> when the session began.</summary>
    public string Stamp { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    /// <summary>The absolute end, however active the session is.</summary>
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
}
