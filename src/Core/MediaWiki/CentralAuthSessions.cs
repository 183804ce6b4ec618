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

    /// <summary>What the console reads of a central session's value; <paramref name="Token"/> only to fingerprint it.</summary>
    private sealed record CentralValue(string User, DateTimeOffset? Expiry, bool Remember, string? Token);

    /// <summary>A central session's value, or null for a stub (no user yet) or a value the console cannot read.</summary>
    private static CentralValue? Read(byte[] body)
    {
        if (MediaWikiBlob.Split(body, out _) is not { } blob) return null;
        string? user = null;
        long? expiry = null;
        var remember = false;
        string? token = null;
        if (blob.Type == MediaWikiBlob.Php)
        {
            if (!PhpSerialized.TryRead(blob.Payload.Span, out var value, out _) || value is not PhpArray a) return null;
            user = (a["user"] as PhpString)?.Text;
            expiry = a["expiry"] as long?;
            remember = a["remember"] is true or 1L;
            token = (a["token"] as PhpString)?.Text;
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
                token = root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
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
        return new CentralValue(user, expiry is > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(expiry.Value) : null, remember,
            token is { Length: > 0 and <= MediaWikiMetadata.MaxFieldLength } ? token : null);
    }

    /// <summary>
    /// A write of a central session's value: the console's central session of that key, made or moved on, with a keyed
    /// <paramref name="fingerprint"/> of the global token the value carries (the token itself is never kept).
    /// </summary>
    public static async Task RecordAsync(SessionsDb db, MediaWikiStore.StoreKey k, byte[] body, long epoch, DateTimeOffset expires, DateTimeOffset now,
        Func<string, string> fingerprint, CancellationToken cancellationToken)
    {
        if (Read(body) is not { } value) return;
        var print = value.Token is { } token ? fingerprint(token) : null;
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
                Remember = value.Remember, UserToken = user.Token, Epoch = epoch, GlobalTokenPrint = print,
            });
        }
        else if (central.EndedAt is null)
        {
            central.LastActivityAt = now;
            central.ExpiresAt = value.Expiry ?? expires;
            central.Remember = value.Remember;
            central.GlobalTokenPrint = print ?? central.GlobalTokenPrint;
        }
    }

    /// <summary>
    /// Links a local session to its central session, by the one field of its data the console reads; the session carries
    /// the global token its central session carries.
    /// </summary>
    public static async Task LinkAsync(SessionsDb db, Session session, MediaWikiMetadata metadata, string prefix, CancellationToken cancellationToken)
    {
        if (metadata.CentralSessionId is not { Length: > 0 } id || session.UserId is null) return;
        var hash = CentralAuthKeys.Hash($"{prefix}:session:{id}");
        var central = await db.CentralSessions.Where(c => c.IdHash == hash && c.UserId == session.UserId).Select(c => new { c.Id, c.GlobalTokenPrint })
            .FirstOrDefaultAsync(cancellationToken);
        if (central is null) return;
        session.CentralSessionId = central.Id;
        session.GlobalTokenPrint = central.GlobalTokenPrint ?? session.GlobalTokenPrint;
    }

    /// <summary>
    /// A CentralAuth session of the user that carries a global token, written after a logout of theirs whose rotation no
    /// write has confirmed yet. A new token confirms the rotation: the trace records it as observed. The very token the
    /// logout should have rotated away, within <paramref name="window"/>, means the logout did not hold: the answer is the
    /// trace the session resurrects.
    /// </summary>
    public static async Task<LogoutTrace?> ObserveTokenAsync(SessionsDb db, Wiki wiki, Session session, DateTimeOffset now, TimeSpan window,
        CancellationToken cancellationToken)
    {
        if (session.GlobalTokenPrint is not { } print || session.UserId is not { } userId) return null;
        var trace = await db.LogoutTraces.Where(t => t.UserId == userId && t.GlobalTokenPrint != null && t.RotationConfirmedAt == null && t.FinishedAt <= now)
            .OrderByDescending(t => t.FinishedAt).FirstOrDefaultAsync(cancellationToken);
        if (trace is null) return null;
        if (trace.GlobalTokenPrint == print) return now - trace.FinishedAt <= window ? trace : null;
        trace.RotationConfirmedAt = now;
        var order = await db.LogoutTraceSteps.Where(s => s.TraceId == trace.Id).MaxAsync(s => (int?)s.Order, cancellationToken) ?? 0;
        db.LogoutTraceSteps.Add(new LogoutTraceStep
        {
            TraceId = trace.Id, Order = order + 1, WikiId = wiki.Id, Kind = TraceStepKind.Ended, At = now, DurationMs = (now - trace.FinishedAt).TotalMilliseconds,
            Outcome = Clip($"Observed: rotation confirmed: session {session.Handle} on {wiki.DbName} carries a new global token of the user"),
        });
        return null;
    }

    /// <summary>A step's words, within what the store keeps of them.</summary>
    private static string Clip(string outcome) => outcome.Length <= MaxOutcome ? outcome : outcome[..(MaxOutcome - 1)] + "…";

    private const int MaxOutcome = 200;

    /// <summary>
    /// The user of the central session of the key <paramref name="hash"/>, and whether the console ended it other than by
    /// time; null when the console has no central session for the key.
    /// </summary>
    public static async Task<(int UserId, bool Ended)?> FindAsync(SessionsDb db, string hash, long epoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var central = await db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(c => c.IdHash == hash, cancellationToken);
        if (central is null) return null;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == central.UserId, cancellationToken);
        return (central.UserId, Validity.Reason(central, user, epoch, now) is { } reason && reason != EndReason.Idle);
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

        // The token the logout should have rotated away: the deleted session's, else its newest central session's.
        var print = deleted.GlobalTokenPrint ?? await db.CentralSessions.Where(c => centralIds.Contains(c.Id) && c.GlobalTokenPrint != null)
            .OrderByDescending(c => c.LastActivityAt).Select(c => c.GlobalTokenPrint).FirstOrDefaultAsync(cancellationToken);
        var trace = new LogoutTrace
        {
            Id = TraceId(deleted.Id), UserId = user.Id, StartedOnWikiId = wiki.Id, Scope = LogoutScope.Global, StartedAt = now, FinishedAt = now,
            Outcome = LogoutOutcome.Complete, GlobalTokenPrint = print,
        };
        var centralText = centrals.Count == 0 ? "" : $", so its {centrals.Count} central session(s) ended too ({string.Join(", ", centrals.Select(c => c.Handle))})";
        trace.Steps.Add(new LogoutTraceStep
        {
            TraceId = trace.Id, Order = 0, WikiId = wiki.Id, SessionsFound = 1, SessionsEnded = 1, Kind = TraceStepKind.Ended, At = now,
            Outcome = Clip($"Observed: MediaWiki deleted session {deleted.Handle} at logout; inferred: CentralAuth rotated the global token{centralText}"),
        });
        var order = 1;
        foreach (var group in sessions.GroupBy(s => s.WikiId).OrderBy(g => g.Key))
            trace.Steps.Add(new LogoutTraceStep
            {
                TraceId = trace.Id, Order = order++, WikiId = group.Key, SessionsFound = group.Count(), SessionsEnded = group.Count(), Kind = TraceStepKind.Ended, At = now,
                Outcome = Clip($"Inferred: {string.Join(", ", group.Select(s => s.Handle))} carried the rotated token; the key stays until it expires, and the store answers 404"),
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
