using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// What a change to a credential must drop from every instance's memory once it commits. Every end names one, so a
/// writer cannot end something and forget the copies a resolve would still answer from.
/// </summary>
public sealed record Eviction
{
    private Eviction(IReadOnlyList<string> keys, IReadOnlyList<int?> users, bool all) => (KeyHashes, UserIds, All) = (keys, users, all);

    internal IReadOnlyList<string> KeyHashes { get; }
    internal IReadOnlyList<int?> UserIds { get; }
    internal bool All { get; }

    /// <summary>One session (by its ID's hash) or one MediaWiki store key (by its hash).</summary>
    public static Eviction Key(string hash) => new([hash], [], false);

    /// <summary>Whatever the users hold (null: anonymous sessions).</summary>
    public static Eviction Users(IEnumerable<int?> userIds) => new([], userIds.Distinct().ToList(), false);

    public static Eviction User(int? userId) => new([], [userId], false);

    /// <summary>Anything may have changed: a steward's action, the farm epoch.</summary>
    public static Eviction Everything { get; } = new([], [], true);

    /// <summary>
    /// Nothing in memory can answer from what changes: say why (rows the validity rule already refuses, a credential
    /// no instance caches). The reason is for the reader of the call, which is where a forgotten eviction hides.
    /// </summary>
    public static Eviction None(string because)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(because);
        return new([], [], false);
    }
}

/// <summary>
/// The one way a change to a credential reaches the store. It holds the write turn and its transaction; each end it runs
/// names what it evicts; <see cref="CommitAsync"/> saves, commits, evicts on this instance and the others, then publishes,
/// in the order <see cref="SessionCache"/> needs: a copy read before the commit and put after the eviction is dead on
/// arrival, and a listener told of the change reads the new rows. Disposed without a commit, nothing changed, so
/// nothing is evicted or published.
/// </summary>
public sealed class CredentialWrite : IAsyncDisposable
{
    private readonly WriteGate.Transaction _tx;
    private readonly SessionCache _cache;
    private readonly SessionFeed _feed;
    private readonly List<Eviction> _evictions = [];
    private readonly List<SessionNotice> _notices = [];
    private readonly Metrics.SessionMetrics _metrics;
    private readonly List<(EndReason Reason, int Sessions)> _ended = [];

    internal CredentialWrite(SessionsDb db, WriteGate.Transaction tx, SessionCache cache, SessionFeed feed, Metrics.SessionMetrics metrics) =>
        (Db, _tx, _cache, _feed, _metrics) = (db, tx, cache, feed, metrics);

    public SessionsDb Db { get; }

    /// <summary>
    /// Ends every open session of <paramref name="sessions"/> and counts those that were still valid: one that had idled
    /// out and was not swept yet ends as idle, when it expired, so neither the answer's counts nor its end reason claim
    /// it (a MediaWiki key whose session idled out may start a new one, docs/promise.md).
    /// </summary>
    public async Task<int> EndAsync(IQueryable<Session> sessions, EndReason reason, string? by, DateTimeOffset now, Eviction evicts, CancellationToken cancellationToken)
    {
        _evictions.Add(evicts);
        var (epoch, at) = await LapsedAsync(now, cancellationToken);
        await Validity.RanOut(Db, sessions.Where(s => s.EndedAt == null), epoch, now).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, s => s.ExpiresAt)
            .SetProperty(s => s.EndReason, s => s.Origin == SessionOrigin.MediaWiki ? EndReason.Expired : EndReason.Idle), cancellationToken);
        await sessions.Where(s => s.EndedAt == null && s.Epoch != epoch).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, s => Db.EpochChanges.Where(e => e.Epoch == s.Epoch + 1).Select(e => (DateTimeOffset?)e.At).FirstOrDefault() ?? at)
            .SetProperty(s => s.EndReason, EndReason.EveryoneInvalidated), cancellationToken);
        var ended = await sessions.Where(s => s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, now)
            .SetProperty(s => s.EndReason, reason)
            .SetProperty(s => s.EndedBy, by), cancellationToken);
        Ended(reason, ended);
        return ended;
    }

    /// <summary>Sessions this write ends without a row update of its own (invalidate everyone moves the epoch on): counted once committed.</summary>
    public void Ended(EndReason reason, int sessions) => _ended.Add((reason, sessions));

    /// <summary>
    /// Ends central sessions, counting those still valid as for sessions; their version moves on, so an auto-login that
    /// read one before cannot claim it.
    /// </summary>
    public async Task<int> EndAsync(IQueryable<CentralSession> centrals, EndReason reason, DateTimeOffset now, Eviction evicts, CancellationToken cancellationToken)
    {
        _evictions.Add(evicts);
        var (epoch, at) = await LapsedAsync(now, cancellationToken);
        await Validity.RanOut(Db, centrals.Where(s => s.EndedAt == null), epoch, now).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, s => s.ExpiresAt)
            .SetProperty(s => s.EndReason, EndReason.Idle)
            .SetProperty(s => s.Version, s => s.Version + 1), cancellationToken);
        await centrals.Where(s => s.EndedAt == null && s.Epoch != epoch).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, s => Db.EpochChanges.Where(e => e.Epoch == s.Epoch + 1).Select(e => (DateTimeOffset?)e.At).FirstOrDefault() ?? at)
            .SetProperty(s => s.EndReason, EndReason.EveryoneInvalidated)
            .SetProperty(s => s.Version, s => s.Version + 1), cancellationToken);
        return await centrals.Where(s => s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.EndedAt, now)
            .SetProperty(s => s.EndReason, reason)
            .SetProperty(s => s.Version, s => s.Version + 1), cancellationToken);
    }

    public async Task<int> EndAsync(IQueryable<RememberToken> tokens, EndReason reason, DateTimeOffset now, Eviction evicts, CancellationToken cancellationToken)
    {
        _evictions.Add(evicts);
        var (epoch, at) = await LapsedAsync(now, cancellationToken);
        await Validity.RanOut(Db, tokens.Where(t => t.EndedAt == null), epoch, now).ExecuteUpdateAsync(u => u
            .SetProperty(t => t.EndedAt, t => t.ExpiresAt)
            .SetProperty(t => t.EndReason, EndReason.Expired), cancellationToken);
        await tokens.Where(t => t.EndedAt == null && t.Epoch != epoch).ExecuteUpdateAsync(u => u
            .SetProperty(t => t.EndedAt, t => Db.EpochChanges.Where(e => e.Epoch == t.Epoch + 1).Select(e => (DateTimeOffset?)e.At).FirstOrDefault() ?? at)
            .SetProperty(t => t.EndReason, EndReason.EveryoneInvalidated), cancellationToken);
        return await tokens.Where(t => t.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(t => t.EndedAt, now)
            .SetProperty(t => t.EndReason, reason), cancellationToken);
    }

    /// <summary>
    /// The farm epoch and when it moved on: rows of an earlier epoch were ended by that invalidation (when it ran), rows
    /// past their expiry by time, and neither is counted again by a later end.
    /// </summary>
    private async Task<(long Epoch, DateTimeOffset? At)> LapsedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Read inside the transaction, once: another instance's cached epoch may be behind the store's.
        _farm ??= await Db.Farm.AsNoTracking().SingleAsync(cancellationToken);
        return (_farm.Epoch, _farm.EpochChangedAt ?? now);
    }

    private FarmState? _farm;

    /// <summary>A change that is not an end (a store value written or deleted, the farm epoch moved on) drops these copies too.</summary>
    public void Evicts(Eviction eviction) => _evictions.Add(eviction);

    /// <summary>Told to the live feed once the change is committed and evicted.</summary>
    public void Publish(SessionNotice notice) => _notices.Add(notice);

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        await Db.SaveChangesAsync(cancellationToken);
        await _tx.CommitAsync(cancellationToken);
        if (_evictions.Any(e => e.All))
        {
            _cache.EvictAll();
        }
        else
        {
            foreach (var user in _evictions.SelectMany(e => e.UserIds).Distinct()) _cache.EvictUser(user);
            foreach (var key in _evictions.SelectMany(e => e.KeyHashes).Distinct(StringComparer.Ordinal)) _cache.EvictKey(key);
        }
        _evictions.Clear();
        foreach (var notice in _notices) _feed.Publish(notice);
        _notices.Clear();
        foreach (var (reason, sessions) in _ended) _metrics.CountEnded(reason, sessions);
        _ended.Clear();
    }

    public ValueTask DisposeAsync() => _tx.DisposeAsync();
}

/// <summary>Begins <see cref="CredentialWrite"/>s: the write turn, the cache every end evicts and the feed every change is told on.</summary>
public sealed class CredentialWrites(WriteGate gate, SessionCache cache, SessionFeed feed, Metrics.SessionMetrics metrics)
{
    /// <summary>Begins a change on <paramref name="db"/> once it is this writer's turn (<see cref="WriteGate"/>).</summary>
    public async Task<CredentialWrite> BeginAsync(SessionsDb db, CancellationToken cancellationToken) =>
        new(db, await gate.BeginAsync(db, cancellationToken), cache, feed, metrics);
}
