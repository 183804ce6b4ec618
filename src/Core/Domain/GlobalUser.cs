namespace WikiSessions.Core.Domain;

/// <summary>One account across the farm (CentralAuth's global user).</summary>
public class GlobalUser
{
    public int Id { get; set; }
    public required string Name { get; set; }
    /// <summary>Resetting the token ends every session of the user, including ones the store has not seen.</summary>
    public required string Token { get; set; }
    public bool Prevented { get; set; }
    public DateTimeOffset? PreventedAt { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Optimistic concurrency: two admin actions on one user never both win silently.</summary>
    public int Version { get; set; }
    public List<UserAttachment> Attachments { get; set; } = [];
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
}
