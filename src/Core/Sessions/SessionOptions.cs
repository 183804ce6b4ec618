namespace WikiSessions.Core.Sessions;

/// <summary>Session settings, bound from the <c>Sessions</c> configuration section.</summary>
public sealed class SessionOptions
{
    /// <summary>A session ends after this much inactivity.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>How long "remember me" keeps a user logged in.</summary>
    public TimeSpan RememberDuration { get; set; } = TimeSpan.FromDays(30);
    /// <summary>Resolving writes the last-activity time at most this often, so reads do not write.</summary>
    public TimeSpan ActivityWriteInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Ended sessions, traces and events are kept this long for diagnosis, then swept.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
    /// <summary>An auto-login this soon after a logout of the same user and browser is a resurrection.</summary>
    public TimeSpan ResurrectionWindow { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Rows the sweeper touches per statement, so a sweep never holds the store for long.</summary>
    public int SweepBatchSize { get; set; } = 2000;
    /// <summary>Largest session data a wiki may store, in characters of JSON.</summary>
    public int MaxDataLength { get; set; } = 64 * 1024;
    /// <summary>
    /// Store failures of one kind are logged once per interval (the first with its exception, then a count), and the
    /// failures per wiki are published and, once the store is back, written as events at this rate.
    /// </summary>
    public TimeSpan StoreFailureReportInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>
    /// With more than one instance (<c>SignalR:Redis</c> set), how long an instance trusts a cached session or store
    /// value without hearing an eviction: a backstop for an eviction another instance could not publish, never the way
    /// sessions end (see <see cref="SessionCache"/>). A single instance hears every eviction it makes and needs none.
    /// </summary>
    public TimeSpan CacheBackstop { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The bound on the memory the hot paths' cache holds, in approximate bytes (values, strings and a fixed overhead per
    /// entry); past it the cache starts over. 256 MiB by default: modest on a 24 GiB machine, ample for a farm's sessions.
    /// </summary>
    public long CacheMaxBytes { get; set; } = SessionCache.DefaultMaxBytes;
    /// <summary>How long a MediaWiki store value without <c>metadata.expires</c> (an opaque key) lives: one day, as Kask's default TTL.</summary>
    public TimeSpan StoreDefaultTtl { get; set; } = TimeSpan.FromDays(1);
    /// <summary>The longest any MediaWiki store value lives, whatever expiry its metadata names.</summary>
    public TimeSpan StoreMaxTtl { get; set; } = TimeSpan.FromDays(30);
    /// <summary>The bytes of live values one wiki may keep in the MediaWiki store; past it writes that grow it are refused (507).</summary>
    public long StoreQuotaBytesPerWiki { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Session IDs a bulk revoke covers per batch (one UPDATE by key range, one audit entry).</summary>
    public int BulkBatchKeys { get; set; } = 20_000;
    /// <summary>User IDs a bulk invalidation covers per batch.</summary>
    public int BulkUserBatchKeys { get; set; } = 2_000;
    /// <summary>How often the bulk job runner looks for a job to run or carry on.</summary>
    public TimeSpan BulkPollInterval { get; set; } = TimeSpan.FromSeconds(1);
}
