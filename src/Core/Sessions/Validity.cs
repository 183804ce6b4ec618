using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// The one rule that says whether a credential still yields a session. Resolve, the data routes, the dashboard's
/// counts and the stewards' post-action checks all ask it, so none of them can disagree about what "ended" means.
/// The in-memory forms say why; the query forms keep only what is still valid, for counting in the store.
/// </summary>
public static class Validity
{
    /// <summary>Why a session can no longer be used, or null when it can.</summary>
    public static EndReason? Reason(Session session, GlobalUser? user, Wiki wiki, long epoch, DateTimeOffset now)
    {
        if (session.EndedAt is not null) return session.EndReason ?? EndReason.Idle;
        if (session.Epoch != epoch) return EndReason.EveryoneInvalidated;
        if (user is { Prevented: true }) return user.BarredReason;
        if (user is not null && session.UserToken != user.Token) return EndReason.UserInvalidated;
        if (wiki.Status == WikiStatus.Closed) return EndReason.WikiClosed;
        if (session.ExpiresAt <= now) return TimeRanOut(session.Origin);
        return null;
    }

    public static EndReason? Reason(CentralSession central, GlobalUser user, long epoch, DateTimeOffset now)
    {
        if (central.EndedAt is not null) return central.EndReason ?? EndReason.Idle;
        if (central.Epoch != epoch) return EndReason.EveryoneInvalidated;
        if (user.Prevented) return user.BarredReason;
        if (central.UserToken != user.Token) return EndReason.UserInvalidated;
        if (central.ExpiresAt <= now) return EndReason.Idle;
        return null;
    }

    public static EndReason? Reason(RememberToken token, GlobalUser user, long epoch, DateTimeOffset now)
    {
        if (token.EndedAt is not null) return token.EndReason ?? EndReason.Idle;
        if (token.Epoch != epoch) return EndReason.EveryoneInvalidated;
        if (user.Prevented) return user.BarredReason;
        if (token.UserToken != user.Token) return EndReason.UserInvalidated;
        if (token.ExpiresAt <= now) return EndReason.Expired;
        return null;
    }

    /// <summary>
    /// Why a session whose time ran out ended: MediaWiki's own sessions at the expiry MediaWiki wrote (the store never
    /// extends it), the engine's when idle past their timeout (each use extends it). Remember-me tokens always expire.
    /// </summary>
    /// <remarks>The statements that record such ends in the store spell the same rule out inline, as SQL.</remarks>
    public static EndReason TimeRanOut(SessionOrigin origin) => origin == SessionOrigin.MediaWiki ? EndReason.Expired : EndReason.Idle;

    /// <summary>
    /// The rows (sessions here, central sessions and remember-me tokens below) that time ended: those of this epoch past
    /// their expiry, and those of an earlier one that expired before the invalidation that ended their epoch (the change
    /// to the next; later ones do not count). Everything else of an earlier epoch that invalidation ended. Two terms an
    /// index can take each (epochs only grow), not one expression over both, so a sweep stays a range read.
    /// </summary>
    public static IQueryable<Session> RanOut(SessionsDb db, IQueryable<Session> sessions, long epoch, DateTimeOffset now) =>
        sessions.Where(s => s.Epoch == epoch && s.ExpiresAt <= now || s.Epoch < epoch && db.EpochChanges.Any(e => e.Epoch == s.Epoch + 1 && s.ExpiresAt <= e.At));

    public static IQueryable<CentralSession> RanOut(SessionsDb db, IQueryable<CentralSession> centrals, long epoch, DateTimeOffset now) =>
        centrals.Where(c => c.Epoch == epoch && c.ExpiresAt <= now || c.Epoch < epoch && db.EpochChanges.Any(e => e.Epoch == c.Epoch + 1 && c.ExpiresAt <= e.At));

    public static IQueryable<RememberToken> RanOut(SessionsDb db, IQueryable<RememberToken> tokens, long epoch, DateTimeOffset now) =>
        tokens.Where(t => t.Epoch == epoch && t.ExpiresAt <= now || t.Epoch < epoch && db.EpochChanges.Any(e => e.Epoch == t.Epoch + 1 && t.ExpiresAt <= e.At));

    /// <summary>The sessions of <paramref name="sessions"/> that still yield a session now.</summary>
    /// <remarks>Subqueries rather than navigations, so the filter also works inside an UPDATE on SQLite.</remarks>
    public static IQueryable<Session> Active(SessionsDb db, IQueryable<Session> sessions, long epoch, DateTimeOffset now) =>
        sessions.Where(s => s.EndedAt == null && s.ExpiresAt > now && s.Epoch == epoch
            && db.Wikis.Any(w => w.Id == s.WikiId && w.Status != WikiStatus.Closed)
            && (s.UserId == null || db.Users.Any(u => u.Id == s.UserId && !u.Prevented && u.Token == s.UserToken)));

    public static IQueryable<CentralSession> Active(SessionsDb db, IQueryable<CentralSession> centrals, long epoch, DateTimeOffset now) =>
        centrals.Where(c => c.EndedAt == null && c.ExpiresAt > now && c.Epoch == epoch
            && db.Users.Any(u => u.Id == c.UserId && !u.Prevented && u.Token == c.UserToken));

    public static IQueryable<RememberToken> Active(SessionsDb db, IQueryable<RememberToken> tokens, long epoch, DateTimeOffset now) =>
        tokens.Where(t => t.EndedAt == null && t.ExpiresAt > now && t.Epoch == epoch
            && db.Users.Any(u => u.Id == t.UserId && !u.Prevented && u.Token == t.UserToken));
}
