using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Metrics;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// The session store of stock MediaWiki wikis, over the protocol of Wikimedia's Kask (<c>RESTBagOStuff</c>): values
/// by key, written and read back byte for byte. Each <c>{dbname}:MWSession:{id}</c> value is also a session of the
/// console, so the one validity rule applies: a session a steward revoked, a user invalidated or prevented, or an
/// invalidation of everyone answers 404, and MediaWiki sees no session on its next request.
/// </summary>
public sealed class MediaWikiStore(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    BlobCipher cipher,
    ServerKey serverKey,
    StoreHealth storeHealth,
    SessionCache cache,
    CredentialWrites writes,
    SessionMetrics metrics,
    StoreQuota quota,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<MediaWikiStore> logger,
    CentralAuthKeys centralAuth)
{
    public const string SessionKind = "MWSession";
    public const int MaxBodyBytes = 64 * 1024;
    public const int MaxKeyLength = 512;

    /// <summary>What MediaWiki does around a login or logout arrives as separate calls: a DELETE, then a write of a new key.</summary>
    private static readonly TimeSpan FollowUp = TimeSpan.FromSeconds(1);

    private readonly SessionOptions _options = options.Value;
    private readonly ConcurrentDictionary<int, Deleted> _lastDeleted = new();

    private sealed record Deleted(long SessionId, int UserId, string Handle, DateTimeOffset At);

    /// <summary>A key of one wiki: its hash (the key holds the session ID), its kind, and the handle the console shows.</summary>
    public sealed record StoreKey(Wiki Wiki, string Hash, string Kind, string Handle);

    /// <summary>Checks that the wiki whose key called may touch <paramref name="key"/>: keys that name a wiki name their own.</summary>
    public async Task<StoreKey> KeyAsync(Wiki wiki, string key, CancellationToken cancellationToken)
    {
        if (key.Length is 0 or > MaxKeyLength)
            throw new SessionException(Failure.Invalid, $"A store key is 1 to {MaxKeyLength} characters.");
        var parts = key.Split(':');
        if (centralAuth.Kind(parts) is { } farmWide)
        {
            centralAuth.CheckAllowed(wiki);
            return new StoreKey(wiki, CentralAuthKeys.Hash(key), farmWide, serverKey.Handle(key));
        }
        if (parts.Length > 1 && parts[0] != wiki.DbName && await farm.FindAsync(parts[0], cancellationToken) is not null)
            throw new SessionException(Failure.Forbidden, $"This key belongs to {parts[0]}; {wiki.DbName}'s key may only touch {wiki.DbName}'s keys.");
        var kind = parts.Length >= 3 && parts[0] == wiki.DbName ? parts[1] : "(opaque)";
        return new StoreKey(wiki, Secrets.Sha256($"{wiki.Id}|{key}"), kind.Length > 64 ? kind[..64] : kind, serverKey.Handle(key));
    }

    /// <summary>The bytes last written under the key, or null (404): never written, deleted, expired, or its session ended.</summary>
    public Task<byte[]?> GetAsync(StoreKey k, CancellationToken cancellationToken) => GuardAsync(k, async () =>
    {
        metrics.Count(k.Wiki.DbName, Signal.Reads);
        var now = time.GetUtcNow();
        if (cache.Blob(k.Hash) is { } hit && Readable(hit.ExpiresAt, hit.ReadAt, hit.Session, k.Wiki, cache.Epoch, now)) return hit.Body;

        var seen = cache.Changes;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var blob = await db.Blobs.AsNoTracking().FirstOrDefaultAsync(b => b.KeyHash == k.Hash, cancellationToken);
        if (blob is null || blob.ExpiresAt <= now) return null;
        var session = blob.SessionId is { } sessionId
            ? await db.Sessions.AsNoTracking().Include(s => s.User).FirstOrDefaultAsync(s => s.Id == sessionId, cancellationToken)
            : null;
        var epoch = (await cache.FarmAsync(db, cancellationToken)).Epoch;
        if (blob.SessionId is not null && (session is null || Validity.Reason(session, session.User, k.Wiki, epoch, now) is not null)) return null;
        // A central session the console ended (a logout's token rotation, a steward, an invalidation) is a miss too, as its
        // local sessions are: CentralAuth would otherwise log a kept centralauth_Session cookie back in whenever the token
        // was not rotated (a wiki's logout that skips it, a steward's action without the farm's reset command).
        // Its user is the one whose ends evict the cached value: an end that reaches the user, not the key, must reach it too.
        var userId = session?.UserId;
        if (k.Kind == CentralAuthKeys.SessionKind && await CentralAuthSessions.FindAsync(db, k.Hash, epoch, now, cancellationToken) is { } central)
        {
            if (central.Ended) return null;
            userId = central.UserId;
        }
        // Reads do not write: the last-read time moves at most once per activity interval.
        if (now - blob.ReadAt >= _options.ActivityWriteInterval)
        {
            // It takes its turn with the other writes rather than meet a store locked by them.
            await using var write = await writes.BeginAsync(db, cancellationToken);
            write.Evicts(Eviction.None("a read-time write moves the value's and its session's last use later, which no cached copy answers wrongly from"));
            await db.Blobs.Where(b => b.Id == blob.Id).ExecuteUpdateAsync(u => u.SetProperty(b => b.ReadAt, now), cancellationToken);
            if (session is not null)
            {
                await db.Sessions.Where(s => s.Id == session.Id && s.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastActivityAt, now), cancellationToken);
                session.LastActivityAt = now;
            }
            await write.CommitAsync(cancellationToken);
            blob.ReadAt = now;
        }
        var body = cipher.Decrypt(blob.Body, k.Hash);
        cache.PutBlob(seen, k.Hash, body, blob.ExpiresAt, blob.ReadAt, session, userId);
        return body;
    });

    /// <summary>
    /// A cached value answers only while it is unexpired, its session valid by the rule with the cached epoch, and its
    /// read-time write not yet due; otherwise the store decides.
    /// </summary>
    private bool Readable(DateTimeOffset? expiresAt, DateTimeOffset readAt, Session? session, Wiki wiki, long? epoch, DateTimeOffset now) =>
        epoch is { } e && !(expiresAt <= now) && now - readAt < _options.ActivityWriteInterval
        && (session is null || Validity.Reason(session, session.User, wiki, e, now) is null);

    /// <summary>Writes the bytes under the key; true when the key is new. A prevented user's writes, and writes to an ended session, are refused.</summary>
    public Task<bool> PutAsync(StoreKey k, byte[] body, CancellationToken cancellationToken) => GuardAsync(k, async () =>
    {
        metrics.CountWrite(k.Wiki.DbName, body.Length);
        var now = time.GetUtcNow();
        string? unreadable = null;
        var metadata = k.Kind == SessionKind ? MediaWikiMetadata.Read(body, out unreadable) : null;
        await quota.UsedAsync(k.Wiki, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var write = await writes.BeginAsync(db, cancellationToken);
        // Whatever happens to the key's session, the value under the key changes: no instance may answer the old one.
        write.Evicts(Eviction.Key(k.Hash));
        var epoch = (await cache.FarmAsync(db, cancellationToken)).Epoch;
        var user = metadata is { LoggedIn: true } ? await UserAsync(db, k.Wiki, metadata.UserName!, now, cancellationToken) : null;
        if (user is { Prevented: true })
            throw new SessionException(Failure.Forbidden, $"{user.Barred}: the store refuses their sessions on every wiki.");

        var blob = await db.Blobs.FirstOrDefaultAsync(b => b.KeyHash == k.Hash, cancellationToken);
        // A deleted or swept value leaves its session behind, ended, under the key's hash: a write after it finds it there.
        var session = blob?.SessionId is { } sessionId ? await db.Sessions.Include(s => s.User).FirstOrDefaultAsync(s => s.Id == sessionId, cancellationToken)
            : metadata is not null ? await db.Sessions.Include(s => s.User).FirstOrDefaultAsync(s => s.IdHash == k.Hash, cancellationToken)
            : null;
        var handle = k.Handle;
        if (session is not null && Validity.Reason(session, session.User, k.Wiki, epoch, now) is { } ended)
        {
            // What a logout, a steward or an invalidation ended stays ended, even when a parallel request of the browser
            // saves the session again: refused, and MediaWiki's next read is a miss.
            // A session that had expired before everyone was invalidated was ended by time, not by the invalidation: the
            // one that began the epoch after the session's, not the latest (there may have been others since).
            if (ended == EndReason.EveryoneInvalidated && session.EndedAt is null
                && await Validity.RanOut(db, db.Sessions.Where(s => s.Id == session.Id), epoch, now).AnyAsync(cancellationToken))
                ended = Validity.TimeRanOut(session.Origin);
            if (ended is not (EndReason.Idle or EndReason.Expired))
                throw new SessionException(Failure.Forbidden, $"This session has ended ({EndReasons.Describe(ended)}); MediaWiki must start a new one.");
            await RetireAsync(db, session, cancellationToken);
            // Handles are unique too: the old session keeps its own, so the console's records of it still name it.
            handle = serverKey.Handle($"{k.Hash}|after|{session.Id}");
            session = null;
        }

        // A farm-wide value rewritten by another wiki moves to that wiki's share, and records it as its writer.
        var movedFrom = blob is not null && blob.WikiId != k.Wiki.Id ? (blob.WikiId, blob.Length) : default((int WikiId, int Length)?);
        var growth = body.Length - (movedFrom is null ? blob?.Length ?? 0 : 0);
        try
        {
            await quota.CheckAsync(k.Wiki, growth, cancellationToken);
        }
        catch (SessionException)
        {
            metrics.Count(k.Wiki.DbName, Signal.RefusedWrites);
            throw;
        }

        var created = blob is null;
        blob ??= db.Blobs.Add(new StoredBlob { WikiId = k.Wiki.Id, KeyHash = k.Hash, Kind = k.Kind, Body = [], CreatedAt = now, ReadAt = now }).Entity;
        blob.WikiId = k.Wiki.Id;
        blob.Body = cipher.Encrypt(body, k.Hash);
        blob.Length = body.Length;
        blob.WrittenAt = now;
        blob.Writes++;
        blob.ExpiresAt = Expiry(metadata?.Expires, _options.StoreDefaultTtl, now);
        if (k.Kind == CentralAuthKeys.SessionKind) await CentralAuthSessions.RecordAsync(db, k, body, epoch, blob.ExpiresAt.Value, now, GlobalTokenPrint, cancellationToken);

        var notices = new List<SessionNotice>();
        if (metadata is not null)
        {
            var saved = Metadata.Write(metadata.Saved(Fingerprint));
            var isNew = session is null;
            if (session is null)
            {
                session = NewSession(k, handle, metadata, user, saved, epoch, now);
                db.Sessions.Add(session);
                await db.SaveChangesAsync(cancellationToken);
                blob.SessionId = session.Id;
                await RecordNewSessionAsync(db, k, session, metadata, user, now, notices, cancellationToken);
            }
            else if (saved != session.Metadata)
            {
                RecordMetadataChange(db, k, session, Metadata.Parse(session.Metadata), Metadata.Parse(saved), now, notices);
                session.Metadata = saved;
                if (session.UserId != user?.Id)
                {
                    session.UserId = user?.Id;
                    session.UserToken = user?.Token;
                    session.Provider = metadata.Provider;
                }
            }
            var printBefore = session.GlobalTokenPrint;
            await CentralAuthSessions.LinkAsync(db, session, metadata, centralAuth.Prefix, cancellationToken);
            if ((isNew || session.GlobalTokenPrint != printBefore) && session.ResurrectionOfTraceId is null
                && await CentralAuthSessions.ObserveTokenAsync(db, k.Wiki, session, now, _options.ResurrectionWindow, cancellationToken) is { } notHeld)
                await RecordCentralAuthResurrectionAsync(db, k, session, notHeld, now, notices, cancellationToken);
            // A value swept before its session ended is written again under the same session.
            blob.SessionId ??= session.Id;
            if (session.EndedAt is null)
            {
                session.ExpiresAt = Expiry(metadata.Expires, _options.IdleTimeout, now);
                session.LastActivityAt = now;
                session.Remember = metadata.Remember;
            }
        }
        else if (unreadable is not null && created)
            OpaqueValues.Record(db, k, unreadable, now, notices);
        notices.ForEach(write.Publish);
        await write.CommitAsync(cancellationToken);
        quota.Add(k.Wiki.Id, growth);
        if (movedFrom is { } moved) quota.Add(moved.WikiId, -moved.Length);
        return created;
    });

    /// <summary>
    /// Deletes the key. Its session ends: an anonymous one as replaced (MediaWiki logged the visitor in under a new ID), a
    /// logged-in one as logged out, unless a new key for the same user follows at once (an ID rotation).
    /// </summary>
    public Task<bool> DeleteAsync(StoreKey k, CancellationToken cancellationToken) => GuardAsync(k, async () =>
    {
        metrics.Count(k.Wiki.DbName, Signal.Deletes);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var write = await writes.BeginAsync(db, cancellationToken);
        var blob = await db.Blobs.AsNoTracking().FirstOrDefaultAsync(b => b.KeyHash == k.Hash, cancellationToken);
        if (blob is null) return false;
        SessionNotice? logout = null;
        await db.Blobs.Where(b => b.Id == blob.Id).ExecuteDeleteAsync(cancellationToken);
        write.Evicts(Eviction.Key(k.Hash));
        var session = blob.SessionId is { } id ? await db.Sessions.AsNoTracking().Include(s => s.User).FirstOrDefaultAsync(s => s.Id == id, cancellationToken) : null;
        // MediaWiki deletes an anonymous session when it logs the visitor in under a new ID, and a logged-in one at logout.
        var reason = session?.UserId is null ? EndReason.Replaced : EndReason.LoggedOut;
        if (session is not null && await write.EndAsync(db.Sessions.Where(s => s.Id == session.Id), reason, null, now, Eviction.Key(k.Hash), cancellationToken) == 1
            && session.UserId is { } userId)
        {
            _lastDeleted[k.Wiki.Id] = new Deleted(session.Id, userId, session.Handle, now);
            if (CentralAuthSessions.Provided(session)) logout = await CentralAuthSessions.EndAsync(write, k.Wiki, session, session.User!, now, cancellationToken);
        }
        if (logout is not null) write.Publish(logout);
        await write.CommitAsync(cancellationToken);
        quota.Add(blob.WikiId, -blob.Length);
        return true;
    });

    /// <summary>
    /// Every value expires: at its <c>metadata.expires</c>, else after <paramref name="fallback"/>, and never later than
    /// <see cref="SessionOptions.StoreMaxTtl"/> from now, so no key of a wiki holds the disk for ever.
    /// </summary>
    private DateTimeOffset Expiry(DateTimeOffset? expires, TimeSpan fallback, DateTimeOffset now)
    {
        var at = expires ?? now + fallback;
        var latest = now + _options.StoreMaxTtl;
        return at < latest ? at : latest;
    }

    /// <summary>
    /// Only time ended the key's session, so the key may start a new one; the old session keeps its history and its
    /// handle, ended, under a hash no key has, since each key names one session at a time.
    /// </summary>
    private static async Task RetireAsync(SessionsDb db, Session session, CancellationToken cancellationToken)
    {
        var retired = Secrets.Sha256($"retired|{session.Id}|{session.IdHash}");
        await db.Sessions.Where(s => s.Id == session.Id).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.IdHash, retired)
            .SetProperty(s => s.EndedAt, s => s.EndedAt ?? s.ExpiresAt)
            .SetProperty(s => s.EndReason, s => s.EndReason ?? EndReason.Expired), cancellationToken);
        db.Entry(session).State = EntityState.Detached;
    }

    private Session NewSession(StoreKey k, string handle, MediaWikiMetadata metadata, GlobalUser? user, string saved, long epoch, DateTimeOffset now) => new()
    {
        IdHash = k.Hash, Handle = handle, WikiId = k.Wiki.Id, UserId = user?.Id, Provider = metadata.Provider, Origin = SessionOrigin.MediaWiki,
        CreatedAt = now, LastActivityAt = now, ExpiresAt = Expiry(metadata.Expires, _options.IdleTimeout, now), Remember = metadata.Remember,
        Metadata = saved, UserToken = user?.Token, Epoch = epoch, CookiesSet = "",
    };

    /// <summary>
    /// A new key: an ID rotation when the same user's session was deleted a moment before; a logout when an anonymous
    /// session marked logged-out follows the deletion of a logged-in one; a resurrection when a remembered session (one
    /// the Token cookie can restore) carries the user token of a session that a steward or an invalidation ended, or
    /// that a logout ended within <see cref="SessionOptions.ResurrectionWindow"/>.
    /// </summary>
    private async Task RecordNewSessionAsync(SessionsDb db, StoreKey k, Session session, MediaWikiMetadata metadata, GlobalUser? user,
        DateTimeOffset now, List<SessionNotice> notices, CancellationToken cancellationToken)
    {
        var deleted = _lastDeleted.TryGetValue(k.Wiki.Id, out var d) && now - d.At <= FollowUp ? d : null;
        if (user is not null && deleted?.UserId == user.Id && _lastDeleted.TryRemove(new(k.Wiki.Id, deleted)))
        {
            await db.Sessions.Where(s => s.Id == deleted.SessionId).ExecuteUpdateAsync(u => u.SetProperty(s => s.EndReason, EndReason.Replaced), cancellationToken);
            await CentralAuthSessions.UndoAsync(db, deleted.SessionId, cancellationToken);
            Add(db, notices, SessionEventKind.Created, k, session, user, $"MediaWiki rotated the session ID (login or privilege change); it replaces {deleted.Handle}", now);
            return;
        }
        if (user is null && metadata.LoggedOut > 0 && deleted is not null && _lastDeleted.TryRemove(new(k.Wiki.Id, deleted)))
        {
            await RecordLogoutAsync(db, k, deleted, now, notices, cancellationToken);
            return;
        }
        if (user is null) return;

        Add(db, notices, SessionEventKind.Created, k, session, user, $"MediaWiki session through {metadata.ProviderClass ?? "an unknown provider"}", now);
        // Only the Token cookie outlives what ended the user's session, and a session it restores is a remembered one. A
        // login through the form is not a resurrection, even with the same user token: MediaWiki's logout keeps it.
        if (!metadata.Remember || metadata.UserToken is not { Length: > 0 } token) return;
        var pattern = $"%\"userToken\":\"{Fingerprint(token)}\"%";
        var loggedOutSince = now - _options.ResurrectionWindow;
        var ended = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == user.Id && s.Origin == SessionOrigin.MediaWiki && s.Id != session.Id && s.EndedAt != null
                && (s.EndReason == EndReason.Revoked || s.EndReason == EndReason.UserInvalidated || s.EndReason == EndReason.EveryoneInvalidated
                    || s.EndReason == EndReason.LoggedOut && s.EndedAt >= loggedOutSince)
                && EF.Functions.Like(s.Metadata, pattern))
            .OrderByDescending(s => s.EndedAt).FirstOrDefaultAsync(cancellationToken);
        if (ended is null) return;
        var traceId = ended.EndReason == EndReason.LoggedOut
            ? await db.LogoutTraces.Where(t => t.UserId == user.Id && t.StartedOnWikiId == k.Wiki.Id && t.FinishedAt >= ended.EndedAt)
                .OrderBy(t => t.FinishedAt).Select(t => t.Id).FirstOrDefaultAsync(cancellationToken)
            : null;
        session.ResurrectionOfTraceId = traceId;
        var why = $"MediaWiki restored {user.Name} from the remember-me Token cookie after session {ended.Handle} ended ({EndReasons.Describe(ended.EndReason!.Value)}). " +
            "Reset the user's token on the wiki (maintenance/invalidateUserSessions.php) to end it for good.";
        logger.LogWarning("Resurrection on {Wiki}: {User} got MediaWiki session {SessionHandle} from a Token cookie after {EndedHandle} ended",
            k.Wiki.DbName, LogText.Quote(user.Name), session.Handle, ended.Handle);
        Add(db, notices, SessionEventKind.Resurrection, k, session, user, why, now, traceId);
    }

    /// <summary>
    /// CentralAuth logged the user in again with the global token a logout of theirs should have rotated away: the
    /// logout did not hold (a wiki whose logout skips the rotation), and the session is the resurrection of its trace.
    /// </summary>
    private async Task RecordCentralAuthResurrectionAsync(SessionsDb db, StoreKey k, Session session, LogoutTrace trace, DateTimeOffset now,
        List<SessionNotice> notices, CancellationToken cancellationToken)
    {
        var user = session.User ?? await db.Users.AsNoTracking().FirstAsync(u => u.Id == session.UserId, cancellationToken);
        var from = await db.Wikis.Where(w => w.Id == trace.StartedOnWikiId).Select(w => w.DbName).FirstOrDefaultAsync(cancellationToken);
        session.ResurrectionOfTraceId = trace.Id;
        var why = $"CentralAuth logged {user.Name} in again with the global token that the logout on {from} at {trace.FinishedAt:HH:mm:ss} UTC should have rotated away: " +
            "that logout did not hold. Reset the user's global token (maintenance/invalidateUserSessions.php) to end it for good.";
        logger.LogWarning("Resurrection on {Wiki}: {User} got CentralAuth session {SessionHandle} with the global token of logout {TraceId}",
            k.Wiki.DbName, LogText.Quote(user.Name), session.Handle, trace.Id);
        Add(db, notices, SessionEventKind.Resurrection, k, session, user, why, now, trace.Id);
    }

    private static async Task RecordLogoutAsync(SessionsDb db, StoreKey k, Deleted deleted, DateTimeOffset now, List<SessionNotice> notices, CancellationToken cancellationToken)
    {
        var trace = new LogoutTrace
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            UserId = deleted.UserId, StartedOnWikiId = k.Wiki.Id, Scope = LogoutScope.Local, StartedAt = deleted.At, FinishedAt = now,
            Outcome = LogoutOutcome.Complete,
        };
        trace.Steps.Add(new LogoutTraceStep
        {
            TraceId = trace.Id, WikiId = k.Wiki.Id, SessionsFound = 1, SessionsEnded = 1, Kind = TraceStepKind.Ended,
            Outcome = $"MediaWiki deleted session {deleted.Handle} and started an anonymous one", At = deleted.At,
            DurationMs = (now - deleted.At).TotalMilliseconds,
        });
        db.LogoutTraces.Add(trace);
        var userName = await db.Users.Where(u => u.Id == deleted.UserId).Select(u => u.Name).FirstOrDefaultAsync(cancellationToken);
        db.Events.Add(SessionRecords.Event(SessionEventKind.LogoutTraceFinished, now, k.Wiki.Id, null, deleted.UserId, $"MediaWiki logout on {k.Wiki.DbName}: complete"));
        notices.Add(new SessionNotice(SessionEventKind.LogoutTraceFinished, now, k.Wiki.DbName, deleted.Handle, userName, ProviderKind.Cookie,
            "MediaWiki logout: complete", trace.Id, EndReason.LoggedOut, [k.Wiki.DbName]));
    }

    private static void RecordMetadataChange(SessionsDb db, StoreKey k, Session session, Dictionary<string, string> before, Dictionary<string, string> after,
        DateTimeOffset now, List<SessionNotice> notices)
    {
        var changed = after.Keys.Union(before.Keys).Where(name => before.GetValueOrDefault(name) != after.GetValueOrDefault(name)).Order().ToList();
        // The user token appears only as "changed": its fingerprint is not for people to compare.
        Dictionary<string, string> Shown(Dictionary<string, string> m) => m.ToDictionary(p => p.Key, p => p.Key == "userToken" ? "(hidden)" : p.Value);
        var shownAfter = Shown(after);
        if (changed.Contains("userToken")) shownAfter["userToken"] = "(hidden, changed)";
        db.MetadataDiffs.Add(new MetadataDiff
        {
            SessionId = session.Id, At = now, Saved = Metadata.Write(Shown(before)), Provided = Metadata.Write(shownAfter), ConflictingKeys = string.Join(",", changed),
        });
        Add(db, notices, SessionEventKind.MetadataRejected, k, session, session.User, $"MediaWiki changed the session's metadata: {string.Join(", ", changed)}", now);
    }

    private static void Add(SessionsDb db, List<SessionNotice> notices, SessionEventKind kind, StoreKey k, Session session, GlobalUser? user, string detail,
        DateTimeOffset now, string? traceId = null)
    {
        db.Events.Add(SessionRecords.Event(kind, now, k.Wiki.Id, session, user?.Id, detail));
        notices.Add(new SessionNotice(kind, now, k.Wiki.DbName, session.Handle, user?.Name, session.Provider, detail, traceId));
    }

    /// <summary>The global user of that name, registered when first seen, and attached to the wiki.</summary>
    private static async Task<GlobalUser> UserAsync(SessionsDb db, Wiki wiki, string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var user = await SessionRecords.UserAsync(db, name, now, cancellationToken);
        if (!await db.Attachments.AnyAsync(a => a.UserId == user.Id && a.WikiId == wiki.Id, cancellationToken))
            await SessionRecords.AttachAsync(db, user.Id, wiki.Id, now, cancellationToken);
        return user;
    }

    /// <summary>A keyed fingerprint of MediaWiki's user token: equal tokens match, and the token cannot be recovered from it.</summary>
    private string Fingerprint(string token) => serverKey.Mac("mediawiki-user-token|" + token)[..16];

    /// <summary>A keyed fingerprint of CentralAuth's global user token, as <see cref="Fingerprint"/> is of the wiki's own.</summary>
    private string GlobalTokenPrint(string token) => serverKey.Mac("centralauth-global-token|" + token)[..16];

    private Task<T> GuardAsync<T>(StoreKey k, Func<Task<T>> action) =>
        storeHealth.GuardAsync(k.Wiki.DbName, "The session store is unavailable; nothing was changed. Retry in a moment.", action);
}
