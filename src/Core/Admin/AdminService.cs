using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>A staff member acting through the dashboard or the admin API.</summary>
public sealed record StaffActor(string Name, StaffRole Role);

/// <summary>
/// The stewards' actions. Each needs a steward and a reason, runs in one transaction, writes an audit
/// entry, and publishes what it ended.
/// </summary>
public sealed class AdminService(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    SessionFeed feed,
    TimeProvider time,
    ILogger<AdminService> logger)
{
    public const int MaxReasonLength = 1000;

    /// <summary>End one session now.</summary>
    public Task<int> RevokeSessionAsync(StaffActor actor, string handle, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (db, now) =>
        {
            var session = await db.Sessions.AsNoTracking().Include(s => s.User).FirstOrDefaultAsync(s => s.Handle == handle, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
            if (session.EndedAt is not null)
                throw new SessionException(Failure.Conflict, $"Session {handle} already ended ({EndReasons.Describe(session.EndReason ?? EndReason.Idle)}); nothing to revoke.");
            var ended = await SessionRecords.EndAsync(db.Sessions.Where(s => s.Id == session.Id), EndReason.Revoked, actor.Name, now, cancellationToken);
            var wiki = await farm.GetAsync(session.WikiId, cancellationToken);
            db.Events.Add(SessionRecords.Event(SessionEventKind.Ended, now, wiki.Id, session, session.UserId, $"Revoked by {actor.Name}: {reason}"));
            return new Outcome("revoke-session", handle, ended, $"{wiki.DbName} session of {session.User?.Name ?? "an anonymous user"}", [wiki.DbName], session.User?.Name);
        }, cancellationToken);

    /// <summary>Reset the user token: every session of the user on every wiki and provider ends, including ones the store has not seen.</summary>
    public Task<int> InvalidateUserAsync(StaffActor actor, string userName, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (db, now) =>
        {
            var user = await FindUserAsync(db, userName, cancellationToken);
            var (ended, wikis) = await EndUserSessionsAsync(db, user, EndReason.UserInvalidated, actor, now, cancellationToken);
            return new Outcome("invalidate-user", user.Name, ended, $"User token reset; {ended} sessions ended on {wikis.Count} wikis", wikis, user.Name);
        }, cancellationToken);

    /// <summary>Permanent: ends every session, revokes bot passwords and OAuth grants, and no provider may make a session for the user again.</summary>
    public Task<int> PreventUserAsync(StaffActor actor, string userName, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (db, now) =>
        {
            var user = await FindUserAsync(db, userName, cancellationToken);
            if (user.Prevented)
                throw new SessionException(Failure.Conflict, $"{user.Name} is already prevented from having sessions.");
            user.Prevented = true;
            user.PreventedAt = now;
            var bots = await db.BotPasswords.Where(p => p.UserId == user.Id && p.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.RevokedAt, now), cancellationToken);
            var grants = await db.OAuthGrants.Where(g => g.UserId == user.Id && g.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now), cancellationToken);
            var (ended, wikis) = await EndUserSessionsAsync(db, user, EndReason.Prevented, actor, now, cancellationToken);
            return new Outcome("prevent-user", user.Name, ended,
                $"Prevented; {ended} sessions ended on {wikis.Count} wikis; {bots} bot passwords and {grants} OAuth grants revoked", wikis, user.Name);
        }, cancellationToken);

    /// <summary>
    /// Ends every session in the farm in one statement, whatever their number: the farm epoch moves on and
    /// sessions of an older epoch no longer resolve. The sweeper records their end reason later, in batches.
    /// </summary>
    public Task<int> InvalidateEveryoneAsync(StaffActor actor, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (db, now) =>
        {
            await db.Farm.ExecuteUpdateAsync(u => u.SetProperty(f => f.Epoch, f => f.Epoch + 1).SetProperty(f => f.EpochChangedAt, now), cancellationToken);
            return new Outcome("invalidate-everyone", "farm", 0, "Farm epoch advanced: every session in the farm ended", [], null);
        }, cancellationToken);

    private sealed record Outcome(string Action, string Target, int SessionsEnded, string Detail, IReadOnlyList<string> Wikis, string? User);

    private async Task<int> ActAsync(StaffActor actor, string reason, Func<SessionsDb, DateTimeOffset, Task<Outcome>> act, CancellationToken cancellationToken)
    {
        if (actor.Role != StaffRole.Steward)
            throw new SessionException(Failure.Forbidden, $"Only stewards may change sessions; {actor.Name} is {actor.Role.ToString().ToLowerInvariant()} staff.");
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0)
            throw new SessionException(Failure.Invalid, "A reason is required: say why, for the audit log.");
        if (reason.Length > MaxReasonLength)
            throw new SessionException(Failure.Invalid, $"The reason is limited to {MaxReasonLength} characters.");

        var now = time.GetUtcNow();
        Outcome outcome;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            outcome = await act(db, now);
            db.Audit.Add(new AuditEntry
            {
                At = now, Actor = actor.Name, Action = outcome.Action, Reason = reason, Target = outcome.Target,
                SessionsEnded = outcome.SessionsEnded, Detail = outcome.Detail,
            });
            db.Events.Add(SessionRecords.Event(SessionEventKind.AdminAction, now, null, null, null, $"{actor.Name}: {outcome.Action} {outcome.Target}: {reason}"));
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException ex)
        {
            throw new SessionException(Failure.Conflict, "Someone else changed this user at the same moment; nothing was changed. Reload and try again.", ex);
        }
        catch (DbException ex)
        {
            throw new SessionException(Failure.Unavailable, "The session store is unavailable; nothing was changed. Retry in a moment.", ex);
        }

        logger.LogWarning("{Actor} did {Action} on {Target} ({SessionsEnded} sessions ended) because {Reason}",
            actor.Name, outcome.Action, outcome.Target, outcome.SessionsEnded, reason);
        feed.Publish(new SessionNotice(SessionEventKind.AdminAction, now, null, outcome.Action == "revoke-session" ? outcome.Target : null,
            outcome.User, null, $"{actor.Name}: {outcome.Action} {outcome.Target} — {outcome.Detail}", EndReason: EndReasonOf(outcome.Action), Wikis: outcome.Wikis));
        return outcome.SessionsEnded;
    }

    /// <summary>Why the action's sessions ended, so listeners (the live hub's wiki notices) need not parse the detail.</summary>
    private static EndReason EndReasonOf(string action) => action switch
    {
        "revoke-session" => EndReason.Revoked,
        "invalidate-user" => EndReason.UserInvalidated,
        "prevent-user" => EndReason.Prevented,
        _ => EndReason.EveryoneInvalidated,
    };

    private static async Task<GlobalUser> FindUserAsync(SessionsDb db, string userName, CancellationToken cancellationToken) =>
        await db.Users.FirstOrDefaultAsync(u => u.Name == userName, cancellationToken)
        ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{userName}'.");

    /// <summary>Resets the user's token (tracked, so a concurrent change of the user is a conflict) and ends what the store knows of.</summary>
    private async Task<(int Ended, IReadOnlyList<string> Wikis)> EndUserSessionsAsync(
        SessionsDb db, GlobalUser user, EndReason reason, StaffActor actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        user.Token = Secrets.NewToken();
        user.Version++;
        await db.SaveChangesAsync(cancellationToken);
        var wikiIds = await db.Sessions.Where(s => s.UserId == user.Id && s.EndedAt == null).Select(s => s.WikiId).Distinct().ToListAsync(cancellationToken);
        var ended = await SessionRecords.EndAsync(db.Sessions.Where(s => s.UserId == user.Id), reason, actor.Name, now, cancellationToken);
        await SessionRecords.EndAsync(db.CentralSessions.Where(s => s.UserId == user.Id), reason, now, cancellationToken);
        var wikis = new List<string>();
        foreach (var id in wikiIds) wikis.Add((await farm.GetAsync(id, cancellationToken)).DbName);
        return (ended, wikis);
    }
}
