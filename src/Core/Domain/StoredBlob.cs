namespace WikiSessions.Core.Domain;

/// <summary>
/// A value MediaWiki keeps in the session store (the Kask protocol). Its key holds the session ID, so only the key's
/// hash is kept; its body holds the session's secrets (<c>wsToken</c>, auth state), so it is stored encrypted and
/// never shown. A <c>{dbname}:MWSession:{id}</c> blob is also a session of the console (<see cref="SessionId"/>);
/// any other key is an opaque blob of its wiki.
/// </summary>
public class StoredBlob
{
    public long Id { get; set; }
    public int WikiId { get; set; }
    /// <summary>SHA-256 of the wiki's ID and the key: keys of different wikis never meet.</summary>
    public required string KeyHash { get; set; }
    /// <summary>The key's kind, from its second segment: <c>MWSession</c>, or whatever an extension uses.</summary>
    public required string Kind { get; set; }
    /// <summary>The console's session for an MWSession blob.</summary>
    public long? SessionId { get; set; }
    /// <summary>Nonce, tag and ciphertext of the body (AES-GCM, bound to <see cref="KeyHash"/>).</summary>
    public required byte[] Body { get; set; }
    public int Length { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset WrittenAt { get; set; }
    public DateTimeOffset ReadAt { get; set; }
    /// <summary>
    /// From the session's <c>metadata.expires</c> (MediaWiki sends no TTL), or <c>Sessions:StoreDefaultTtl</c> after the write
    /// for a value without one, never past <c>Sessions:StoreMaxTtl</c>; the sweeper deletes what expired. Null only on
    /// values written before every value had an expiry: those expire the default TTL after their last write.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; set; }
    public int Writes { get; set; }
}
