namespace WikiSessions.Core.Domain;

/// <summary>One wiki of the farm, named by its database name (<c>enwiki</c>).</summary>
public class Wiki
{
    public int Id { get; set; }
    public required string DbName { get; set; }
    public required string Host { get; set; }
    public DeploymentGroup Group { get; set; }
    public WikiStatus Status { get; set; }
    public bool IsCentral { get; set; }
    /// <summary>Relative traffic, used by the demo farm to make big wikis busier.</summary>
    public int Weight { get; set; }
    /// <summary>SHA-256 of the wiki server's API key; the key itself is never stored.</summary>
    public required string ApiKeyHash { get; set; }
}

/// <summary>A farm-wide or per-wiki setting of one session provider.</summary>
public class ProviderSetting
{
    public int Id { get; set; }
    /// <summary>Null for the farm default; a wiki's own row overrides it.</summary>
    public int? WikiId { get; set; }
    public ProviderKind Provider { get; set; }
    public int Priority { get; set; }
    public bool PersistsSessionId { get; set; }
    public bool CanChangeUser { get; set; }
    public bool Enabled { get; set; } = true;
}

/// <summary>Farm-wide state in a single row: the invalidation epoch and the server secret.</summary>
public class FarmState
{
    public int Id { get; set; } = 1;
    /// <summary>Sessions carry the epoch they were made in; bumping it ends every session in one statement.</summary>
    public long Epoch { get; set; }
    public DateTimeOffset? EpochChangedAt { get; set; }
}

/// <summary>
/// When an epoch began: the moment everyone was invalidated. A session of epoch E was ended by the change to E + 1,
/// unless its time had run out before it (then time ended it, and a MediaWiki key of it may start a new session).
/// </summary>
public class EpochChange
{
    public long Epoch { get; set; }
    public DateTimeOffset At { get; set; }
}
