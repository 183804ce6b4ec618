using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// What a CentralAuth farm keeps in the store, as the console's central sessions and logouts. A central session is the
/// value of <c>centralauth:session:{id}</c> (<c>user</c>, <c>token</c>, <c>expiry</c>, <c>remember</c>; a stub before login
/// has no user); a local session links to it by <c>CentralAuth::centralSessionId</c> in its data.
/// CentralAuth ends sessions by rotating the user's global token, not by deleting keys: after a logout on one wiki the
/// other wikis' keys and the central keys stay in the store until they expire, dead. So a logout (the delete of a
/// CentralAuth-provided session that no ID rotation follows) ends, in the console, every session and central session of
/// the user made before it, as one logout trace with a step per wiki saying what was observed and what inferred.
/// </summary>
internal static class CentralAuthSessions
{
    private const string Provider = "CentralAuthSessionProvider";

    /// <summary>Whether a session of the console is one CentralAuth provides (its provider class, kept in its metadata).</summary>
    public static bool Provided(Session session) => session.Metadata.Contains($"\"provider\":\"{Provider}\"", StringComparison.Ordinal);

    private sealed record CentralValue(string User, DateTimeOffset? Expiry, bool Remember);

    /// <summary>A central session's value, or null for a stub (no user yet) or a value the console cannot read.</summary>
    private static CentralValue? Read(byte[] body)
    {
        if (MediaWikiBlob.Split(body, out _) is not { } blob) return null;
        string? user = null;
        long? expiry = null;
        var remember = false;
        if (blob.Type == MediaWikiBlob.Php)
        {
            if (!PhpSerialized.TryRead(blob.Payload.Span, out var value, out _) || value is not PhpArray a) return null;
            user = (a["user"] as PhpString)?.Text;
            expiry = a["expiry"] as long?;
            remember = a["remember"] is true or 1L;
        }
        else
        {
            try
            {
                using var doc = JsonDocument.Parse(blob.Payload);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return null;
                user = root.TryGetProperty("user", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
                expiry = root.TryGetProperty("expiry", out var e) && e.TryGetInt64(out var x) ? x : null;
                remember = root.TryGetProperty("remember", out var r) && r.ValueKind == JsonValueKind.True;
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException)
            {
                return null;
            }
        }
        if (string.IsNullOrEmpty(user)) return null;
        try
        {
            UserNames.Check(user, "central session user");
        }
        catch (SessionException)
        {
            return null; // a name the console could not act on: the value is kept, not shown
        }
        return new CentralValue(user, expiry is > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(expiry.Value) : null, remember);
    }

    /// <summary>A write of a central session's value: the console's central session of that key, made or moved on.</summary>
    public static async Task RecordAsync(SessionsDb db, MediaWikiStore.StoreKey k, byte[] body, long epoch, DateTimeOffset expires, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        if (Read(body) is not { } value) return;
        // CentralAuth writes the central session before the wiki's own session of a login: the user may be new here.
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == value.User, cancellationToken);
        if (user is null)
        {
            user = new GlobalUser { Name = value.User, Token = Secrets.NewToken(), CreatedAt = now };
            db.Users.Add(user);
            await db.SaveChangesAsync(cancellationToken);
            db.Entry(user).State = EntityState.Detached;
        }
        var central = await db.CentralSessions.FirstOrDefaultAsync(c => c.IdHash == k.Hash, cancellationToken);
        if (central is null)
        {
            db.CentralSessions.Add(new CentralSession
            {
                IdHash = k.Hash, Handle = k.Handle, UserId = user.Id, CreatedAt = now, LastActivityAt = now, ExpiresAt = value.Expiry ?? expires,
                Remember = value.Remember, UserToken = user.Token, Epoch = epoch,
            });
        }
        else if (central.EndedAt is null)
        {
            central.LastActivityAt = now;
            central.ExpiresAt = value.Expiry ?? expires;
            central.Remember = value.Remember;
        }
    }

    /// <summary>Links a local session to its central session, by the one field of its data the console reads.</summary>
    public static async Task LinkAsync(SessionsDb db, Session session, MediaWikiMetadata metadata, string prefix, CancellationToken cancellationToken)
    {
        if (metadata.CentralSessionId is not { Length: > 0 } id || session.UserId is null) return;
        var hash = CentralAuthKeys.Hash($"{prefix}:session:{id}");
        session.CentralSessionId = await db.CentralSessions.Where(c => c.IdHash == hash && c.UserId == session.UserId).Select(c => (long?)c.Id)
            .FirstOrDefaultAsync(cancellationToken) ?? session.CentralSessionId;
    }

    /// <summary>The logout trace of the delete of <paramref name="sessionId"/>: one per delete, so an ID rotation can take it back.</summary>
    private static string TraceId(long sessionId) => Secrets.Sha256($"centralauth-logout|{sessionId}")[..32];

    /// <summary>
    /// The delete of a CentralAuth-provided session of <paramref name="user"/> on <paramref name="wiki"/>: CentralAuth rotated
    /// the user's global token, so every session of theirs CentralAuth provided and every central session of theirs made
    /// before now is dead, though its key stays. They end here, as one logout trace.
    /// </summary>
    public static async Task<SessionNotice?> EndAsync(CredentialWrite write, Wiki wiki, Session deleted, GlobalUser user, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var db = write.Db;
        var pattern = $"%\"provider\":\"{Provider}\"%";
        var sessions = await db.Sessions.Where(s => s.UserId == user.Id && s.Id != deleted.Id && s.EndedAt == null && s.Origin == SessionOrigin.MediaWiki
                && EF.Functions.Like(s.Metadata, pattern))
            .Select(s => new { s.Id, s.WikiId, s.Handle, s.IdHash }).ToListAsync(cancellationToken);
        var centrals = await db.CentralSessions.Where(c => c.UserId == user.Id && c.EndedAt == null).Select(c => new { c.Id, c.Handle, c.IdHash }).ToListAsync(cancellationToken);
        var ids = sessions.Select(s => s.Id).ToList();
        var centralIds = centrals.Select(c => c.Id).ToList();
        // Central sessions first, as every logout does: an auto-login racing this one finds its central session ended.
        await write.EndAsync(db.CentralSessions.Where(c => centralIds.Contains(c.Id)), EndReason.LoggedOutElsewhere, now, Eviction.User(user.Id), cancellationToken);
        await write.EndAsync(db.Sessions.Where(s => ids.Contains(s.Id)), EndReason.LoggedOutElsewhere, null, now, Eviction.User(user.Id), cancellationToken);
        // Each ended key's value stays in the store, and no instance may serve it from memory (the store answers 404 for it).
        foreach (var hash in sessions.Select(s => s.IdHash).Concat(centrals.Select(c => c.IdHash))) write.Evicts(Eviction.Key(hash));

        var trace = new LogoutTrace
        {
            Id = TraceId(deleted.Id), UserId = user.Id, StartedOnWikiId = wiki.Id, Scope = LogoutScope.Global, StartedAt = now, FinishedAt = now,
            Outcome = LogoutOutcome.Complete,
        };
        var centralText = centrals.Count == 0 ? "" : $"; inferred: its {centrals.Count} central session(s) ({string.Join(", ", centrals.Select(c => c.Handle))}) carried the old token and ended too";
        trace.Steps.Add(new LogoutTraceStep
        {
            TraceId = trace.Id, Order = 0, WikiId = wiki.Id, SessionsFound = 1, SessionsEnded = 1, Kind = TraceStepKind.Ended, At = now,
            Outcome = $"Observed: MediaWiki deleted session {deleted.Handle} at logout; CentralAuth rotates {user.Name}'s global token at a logout{centralText}",
        });
        var order = 1;
        foreach (var group in sessions.GroupBy(s => s.WikiId).OrderBy(g => g.Key))
            trace.Steps.Add(new LogoutTraceStep
            {
                TraceId = trace.Id, Order = order++, WikiId = group.Key, SessionsFound = group.Count(), SessionsEnded = group.Count(), Kind = TraceStepKind.Ended, At = now,
                Outcome = $"Inferred: {string.Join(", ", group.Select(s => s.Handle))} carried the rotated token; the key stays in the store until it expires, but the wiki can no longer load it",
            });
        db.LogoutTraces.Add(trace);
        var detail = $"CentralAuth logout on {wiki.DbName}: {sessions.Count + 1} session(s) on {sessions.Select(s => s.WikiId).Append(wiki.Id).Distinct().Count()} wiki(s) and {centrals.Count} central session(s) ended by the token rotation";
        db.Events.Add(SessionRecords.Event(SessionEventKind.LogoutTraceFinished, now, wiki.Id, null, user.Id, detail));
        return new SessionNotice(SessionEventKind.LogoutTraceFinished, now, wiki.DbName, deleted.Handle, user.Name, ProviderKind.Cookie, detail, trace.Id, EndReason.LoggedOut);
    }

    /// <summary>
    /// After CentralAuth's global token was reset (a steward's action ran the farm's reset command): every session CentralAuth
    /// provided the user and every central session of theirs is dead on every wiki, though the keys stay.
    /// </summary>
    public static async Task<int> EndAllAsync(CredentialWrite write, int userId, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var db = write.Db;
        var pattern = $"%\"provider\":\"{Provider}\"%";
        var keys = await db.Sessions.Where(s => s.UserId == userId && s.EndedAt == null && s.Origin == SessionOrigin.MediaWiki && EF.Functions.Like(s.Metadata, pattern))
            .Select(s => s.IdHash).Concat(db.CentralSessions.Where(c => c.UserId == userId && c.EndedAt == null).Select(c => c.IdHash)).ToListAsync(cancellationToken);
        foreach (var hash in keys) write.Evicts(Eviction.Key(hash));
        var ended = await write.EndAsync(db.CentralSessions.Where(c => c.UserId == userId), EndReason.UserInvalidated, now, Eviction.User(userId), cancellationToken);
        return ended + await write.EndAsync(db.Sessions.Where(s => s.UserId == userId && s.Origin == SessionOrigin.MediaWiki && EF.Functions.Like(s.Metadata, pattern)),
            EndReason.UserInvalidated, actor, now, Eviction.User(userId), cancellationToken);
    }

    /// <summary>
    /// The delete was an ID rotation after all (a new key of the same user followed at once): CentralAuth rotated no token,
    /// so what the logout ended is open again and its trace is gone.
    /// </summary>
    public static async Task UndoAsync(SessionsDb db, long deletedSessionId, CancellationToken cancellationToken)
    {
        var traceId = TraceId(deletedSessionId);
        var trace = await db.LogoutTraces.AsNoTracking().FirstOrDefaultAsync(t => t.Id == traceId, cancellationToken);
        if (trace is null) return;
        await db.Sessions.Where(s => s.UserId == trace.UserId && s.EndedAt == trace.FinishedAt && s.EndReason == EndReason.LoggedOutElsewhere)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, (DateTimeOffset?)null).SetProperty(s => s.EndReason, (EndReason?)null), cancellationToken);
        await db.CentralSessions.Where(c => c.UserId == trace.UserId && c.EndedAt == trace.FinishedAt && c.EndReason == EndReason.LoggedOutElsewhere)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.EndedAt, (DateTimeOffset?)null).SetProperty(c => c.EndReason, (EndReason?)null), cancellationToken);
        await db.LogoutTraces.Where(t => t.Id == traceId).ExecuteDeleteAsync(cancellationToken);
    }
}
