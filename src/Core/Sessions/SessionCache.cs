using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// What the hot paths read, kept in memory: the farm state, live sessions with their user (for resolves) and MediaWiki
/// store values with their session (for the store's GET). A cached copy is a hint that can only say "still valid":
/// the validity rule runs on it for every request, and anything it does not decide (an expiry that another instance
/// may have pushed back, a touch that is due) goes to the store.
/// <para>
/// It never outlives an event that may end what it holds: each logout, revoke, invalidation, store write or delete
/// evicts, on this instance before its answer returns and on the others through <see cref="Evicted"/> (relayed by
/// Redis). Eviction moves a generation (the farm's, a user's, or a stripe of session IDs and store keys) that every
/// entry carries, so a copy read from the store just before the event and put just after it is dead on arrival:
/// <see cref="Changes"/> is read before the store read, and a put made after any eviction since then is not kept.
/// </para>
/// </summary>
public sealed class SessionCache
{
    private const int Stripes = 4096;
    /// <summary>What an entry costs beyond its strings and bytes: the dictionary node, the record, its key and generations.</summary>
    private const int EntryOverhead = 256;
    /// <summary>A cached session object (with its user) beyond its strings.</summary>
    private const int SessionOverhead = 512;
    private readonly int _capacity;
    private readonly long _maxBytes;
    private long _bytes;
    private long _changes;
    private long _farm;
    private readonly ConcurrentDictionary<int, long> _users = new();
    private readonly long[] _keys = new long[Stripes];
    private readonly ConcurrentDictionary<(int Wiki, string Hash), CachedSession> _sessions = new();
    private readonly ConcurrentDictionary<string, CachedBlob> _blobs = new(StringComparer.Ordinal);
    private volatile CachedFarm? _state;
    private volatile bool _enabled = true;
    private int _evictedWhileOff;
    private long _backstopMs = long.MaxValue;

    /// <summary>The default bound on the cache's approximate size: 256 MiB.</summary>
    public const long DefaultMaxBytes = 256L * 1024 * 1024;

    /// <param name="capacity">Entries kept; when full the cache starts over.</param>
    /// <param name="maxBytes">
    /// Approximate bytes kept (values, strings and a fixed overhead per entry); when a put would pass it the cache starts
    /// over, so one wiki reading many large values cannot take the process's memory.
    /// </param>
    public SessionCache(int capacity = 200_000, long maxBytes = DefaultMaxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1);
        (_capacity, _maxBytes) = (capacity, maxBytes);
    }

    /// <summary>The approximate bytes the cached entries hold now; at most the bound given at construction.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The bound on <see cref="Bytes"/>.</summary>
    public long MaxBytes => _maxBytes;

    /// <summary>Cached sessions and store values.</summary>
    public int Count => _sessions.Count + _blobs.Count;

    /// <summary>
    /// How long a copy is trusted without an eviction heard; null (one instance) for as long as nothing evicts it. A
    /// backstop, not the mechanism: with several instances, an eviction one of them could not publish to Redis.
    /// </summary>
    public TimeSpan? Backstop
    {
        get => _backstopMs == long.MaxValue ? null : TimeSpan.FromMilliseconds(_backstopMs);
        set => _backstopMs = value is { } backstop ? (long)backstop.TotalMilliseconds : long.MaxValue;
    }

    /// <summary>A live session as last read, with its user, the wiki it is of and its parsed saved metadata.</summary>
    public sealed record CachedSession(Session Session, IReadOnlyDictionary<string, string> Saved, long Farm, long User, long Key, long At)
    {
        internal long Size { get; init; }
    }

    /// <summary>
    /// A MediaWiki store value as last read: its plain bytes, its expiry, its session (null for opaque and central keys),
    /// and the user whose ends evict it (the session's, or a central session's user; null for anonymous and opaque keys).
    /// </summary>
    public sealed record CachedBlob(byte[] Body, DateTimeOffset? ExpiresAt, DateTimeOffset ReadAt, Session? Session, int? UserId, long Farm, long User, long Key, long At)
    {
        internal long Size { get; init; }
    }

    /// <summary>The farm state as last read; it ages out by the backstop like any entry (an invalidate-everyone another instance could not publish).</summary>
    private sealed record CachedFarm(FarmState State, long Farm, long At);

    /// <summary>Raised after each eviction made here, with the message other instances apply (see <see cref="Apply"/>).</summary>
    public event Action<string>? Evicted;

    /// <summary>Read before a store read whose result will be put: a put made after an eviction since then is dropped.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>
    /// Off while the cache cannot hear other instances' evictions (the Redis link is down): then every read goes to the
    /// store. Turning it on again starts from empty, since evictions may have been missed meanwhile; and if this instance
    /// evicted anything while off, it raises <see cref="Evicted"/> with "everything", since what it published then may
    /// never have reached the others.
    /// </summary>
    public bool Enabled
    {
        get => _enabled;
        set
        {
            Apply("*");
            var wasOff = !_enabled;
            _enabled = value;
            if (value && wasOff && Interlocked.Exchange(ref _evictedWhileOff, 0) == 1) Evicted?.Invoke("*");
        }
    }

    /// <summary>The farm state (its epoch), from memory or the store.</summary>
    public async Task<FarmState> FarmAsync(SessionsDb db, CancellationToken cancellationToken)
    {
        if (CurrentFarm() is { } cached) return cached.State;
        var seen = Changes;
        var state = await db.Farm.AsNoTracking().SingleAsync(cancellationToken);
        var farm = Interlocked.Read(ref _farm);
        if (_enabled && Changes == seen) _state = new CachedFarm(state, farm, Environment.TickCount64);
        return state;
    }

    /// <summary>The farm epoch when it is in memory and current; null sends the caller to the store.</summary>
    public long? Epoch => CurrentFarm()?.State.Epoch;

    private CachedFarm? CurrentFarm() =>
        _enabled && _state is { } cached && cached.Farm == Interlocked.Read(ref _farm) && Environment.TickCount64 - cached.At < _backstopMs ? cached : null;

    public CachedSession? Session(int wikiId, string hash) =>
        _enabled && _sessions.TryGetValue((wikiId, hash), out var entry) && Current(entry.Farm, entry.Session.UserId, entry.User, hash, entry.Key, entry.At) ? entry : null;

    /// <summary>
    /// Keeps a session read from the store when <paramref name="seen"/> was taken before that read, with its saved
    /// metadata as the caller parsed it. The session's <see cref="Session.Wiki"/> and user must be set.
    /// </summary>
    public void Put(long seen, Session session, IReadOnlyDictionary<string, string> saved)
    {
        var (farm, user, key) = (Interlocked.Read(ref _farm), UserGeneration(session.UserId), KeyGeneration(session.IdHash));
        var size = EntryOverhead + SizeOf(session) + saved.Sum(p => 2L * (p.Key.Length + p.Value.Length) + 64);
        if (!_enabled || Changes != seen || !Room(size)) return;
        Store(_sessions, (session.WikiId, session.IdHash), new CachedSession(session, saved, farm, user, key, Stamp()) { Size = size }, e => e.Size);
    }

    /// <summary>The row IDs of the sessions a resolve on this instance would answer from memory now.</summary>
    public IReadOnlyList<long> ServedSessionIds() => !_enabled ? [] :
        _sessions.Values.Where(e => Current(e.Farm, e.Session.UserId, e.User, e.Session.IdHash, e.Key, e.At)).Select(e => e.Session.Id).ToList();

    public CachedBlob? Blob(string keyHash) =>
        _enabled && _blobs.TryGetValue(keyHash, out var entry) && Current(entry.Farm, entry.UserId, entry.User, keyHash, entry.Key, entry.At) ? entry : null;

    public void PutBlob(long seen, string keyHash, byte[] body, DateTimeOffset? expiresAt, DateTimeOffset readAt, Session? session, int? userId)
    {
        var (farm, user, key) = (Interlocked.Read(ref _farm), UserGeneration(userId), KeyGeneration(keyHash));
        var size = EntryOverhead + 2L * keyHash.Length + body.Length + (session is null ? 0 : SizeOf(session));
        if (!_enabled || Changes != seen || !Room(size)) return;
        Store(_blobs, keyHash, new CachedBlob(body, expiresAt, readAt, session, userId, farm, user, key, Stamp()) { Size = size }, e => e.Size);
    }

    /// <summary>Something of the user's may have ended or changed (null: an anonymous session).</summary>
    public void EvictUser(int? userId) => Evict($"u:{userId ?? 0}");

    /// <summary>One session (by its ID's hash) or one MediaWiki store key (by its hash) was ended, written or deleted.</summary>
    public void EvictKey(string hash) => Evict($"k:{Stripe(hash)}");

    /// <summary>Anything may have changed: the farm epoch, a wiki, or what a steward's action reached.</summary>
    public void EvictAll() => Evict("*");

    /// <summary>Applies an eviction made on another instance.</summary>
    public void Apply(string message)
    {
        // The change counter moves first: a put that checks it afterwards is dropped, and one that checked it before
        // read the generation before it moved, so its entry is dead on arrival.
        Interlocked.Increment(ref _changes);
        if (message == "*")
        {
            Interlocked.Increment(ref _farm);
            Clear();
            _state = null;
        }
        else if (message.StartsWith("u:", StringComparison.Ordinal) && int.TryParse(message.AsSpan(2), out var user))
        {
            _users.AddOrUpdate(user, 1, (_, g) => g + 1);
        }
        else if (message.StartsWith("k:", StringComparison.Ordinal) && int.TryParse(message.AsSpan(2), out var stripe) && stripe is >= 0 and < Stripes)
        {
            Interlocked.Increment(ref _keys[stripe]);
        }
        else
        {
            // Not understood (a newer instance's message): the safe reading is "anything changed".
            Apply("*");
        }
    }

    private void Evict(string message)
    {
        Apply(message);
        if (!_enabled) Volatile.Write(ref _evictedWhileOff, 1);
        Evicted?.Invoke(message);
    }

    private bool Current(long farm, int? userId, long user, string hash, long key, long at) =>
        farm == Interlocked.Read(ref _farm) && user == UserGeneration(userId) && key == KeyGeneration(hash) && Environment.TickCount64 - at < _backstopMs;

    private long KeyGeneration(string hash) => Interlocked.Read(ref _keys[Stripe(hash)]);

    /// <summary>
    /// When an entry counts as put, moved back by up to a quarter of the backstop at random: entries put together (a
    /// burst of traffic, a restart) would otherwise all go back to the store in the same instant.
    /// </summary>
    private long Stamp() => _backstopMs == long.MaxValue ? Environment.TickCount64 : Environment.TickCount64 - Random.Shared.NextInt64(_backstopMs / 4 + 1);

    private long UserGeneration(int? userId) => _users.TryGetValue(userId ?? 0, out var g) ? g : 0;

    /// <summary>Room for an entry of <paramref name="size"/> bytes; false only for an entry larger than the whole bound.</summary>
    private bool Room(long size)
    {
        if (size > _maxBytes) return false;
        if (_sessions.Count + _blobs.Count < _capacity && Bytes + size <= _maxBytes) return true;
        // Full: start over rather than track recency on the hot path; live sessions come back on their next request.
        Clear();
        return true;
    }

    /// <summary>Removes every entry, each with its size, so <see cref="Bytes"/> stays exact while puts go on.</summary>
    private void Clear()
    {
        foreach (var key in _sessions.Keys)
            if (_sessions.TryRemove(key, out var removed)) Interlocked.Add(ref _bytes, -removed.Size);
        foreach (var key in _blobs.Keys)
            if (_blobs.TryRemove(key, out var removed)) Interlocked.Add(ref _bytes, -removed.Size);
    }

    /// <summary>Adds or replaces an entry and moves <see cref="Bytes"/> by exactly the difference.</summary>
    private void Store<TKey, TEntry>(ConcurrentDictionary<TKey, TEntry> entries, TKey key, TEntry entry, Func<TEntry, long> size) where TKey : notnull where TEntry : class
    {
        while (true)
        {
            if (entries.TryGetValue(key, out var old))
            {
                if (!entries.TryUpdate(key, entry, old)) continue;
                Interlocked.Add(ref _bytes, size(entry) - size(old));
                return;
            }
            if (entries.TryAdd(key, entry))
            {
                Interlocked.Add(ref _bytes, size(entry));
                return;
            }
        }
    }

    /// <summary>A session's strings (two bytes a character) and a fixed overhead for the object and its user.</summary>
    private static long SizeOf(Session s) => SessionOverhead + 2L * (s.IdHash.Length + s.Handle.Length + s.Metadata.Length + s.Data.Length + s.CookiesSet.Length
        + (s.Ip?.Length ?? 0) + (s.IpKey?.Length ?? 0) + (s.UserAgent?.Length ?? 0) + (s.UserToken?.Length ?? 0) + (s.User?.Name.Length ?? 0) + (s.User?.Token.Length ?? 0));

    /// <summary>Key hashes are SHA-256 hex, so their first digits spread evenly, and every instance computes the same stripe.</summary>
    private static int Stripe(string keyHash) =>
        keyHash.Length >= 3 && int.TryParse(keyHash.AsSpan(0, 3), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var stripe) ? stripe : 0;
}
