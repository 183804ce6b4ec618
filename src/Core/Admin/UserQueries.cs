using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

public sealed record BotPasswordView(string AppId, string Grants, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
public sealed record OAuthGrantView(string Consumer, string Grants, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <param name="Prevented">No provider may make a session for the user: for good, or while <paramref name="LockedAt"/> is set
/// until a steward unlocks them.</param>
public sealed record UserDetail(
    string Name, bool Prevented, DateTimeOffset? PreventedAt, DateTimeOffset? LockedAt, IReadOnlyList<string> AttachedWikis,
    IReadOnlyList<BotPasswordView> BotPasswords, IReadOnlyList<OAuthGrantView> OAuthGrants, IReadOnlyList<AdminSession> ActiveSessions)
{
    /// <summary>The user's latest refused logins (prevented, revoked bot password or grant, closed wiki), newest first.</summary>
    public IReadOnlyList<EventView> RefusedLogins { get; init; } = [];

    /// <summary>The user's active central sessions, each with the wikis whose active local sessions link to it.</summary>
    public IReadOnlyList<CentralSessionView> CentralSessions { get; init; } = [];

    /// <summary>The user's latest central sessions that ended (newest first, at most five), each with why and its logout trace.</summary>
    public IReadOnlyList<CentralSessionView> EndedCentralSessions { get; init; } = [];
}

/// <summary>A central session as the user page shows it; <see cref="Wikis"/> are the wikis of the active local sessions linked to it.</summary>
/// <param name="EndedAt">When it ended, for an ended one (the validity rule's answer when nothing recorded it).</param>
/// <param name="EndReasonText">Why it ended, in plain words.</param>
/// <param name="TraceId">The logout trace that ended it, when a logout did.</param>
public sealed record CentralSessionView(string Handle, DateTimeOffset CreatedAt, DateTimeOffset LastWrittenAt, DateTimeOffset ExpiresAt, bool Remember,
    IReadOnlyList<string> Wikis, DateTimeOffset? EndedAt = null, string? EndReasonText = null, string? TraceId = null);

/// <summary>What an action on a user would end, shown before a steward confirms it.</summary>
public sealed record BlastRadius(int ActiveSessions, int Wikis, int CentralSessions, int BotPasswords, int OAuthGrants);

/// <summary>Global users for the admin API and the dashboard: who they are, their sessions, and what acting on them would end.</summary>
public sealed class UserQueries(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm, SessionQueries sessions, TimeProvider time)
{
    public async Task<UserDetail> UserAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await AdminReads.FindUserAsync(db, name, cancellationToken);
        var wikiIds = await db.Attachments.Where(a => a.UserId == user.Id).Select(a => a.WikiId).ToListAsync(cancellationToken);
        var attached = new List<string>();
        foreach (var id in wikiIds) attached.Add((await farm.GetAsync(id, cancellationToken)).DbName);
        var bots = await db.BotPasswords.Where(p => p.UserId == user.Id).OrderBy(p => p.AppId)
            .Select(p => new BotPasswordView(p.AppId, p.Grants, p.CreatedAt, p.RevokedAt)).ToListAsync(cancellationToken);
        var grants = await db.OAuthGrants.Where(g => g.UserId == user.Id).OrderBy(g => g.Consumer!.Name)
            .Select(g => new OAuthGrantView(g.Consumer!.Name, g.Grants, g.CreatedAt, g.RevokedAt)).ToListAsync(cancellationToken);
        var active = await (await AdminReads.ActiveAsync(db, time.GetUtcNow(), cancellationToken)).Where(s => s.UserId == user.Id && s.UserToken == user.Token)
            // Newest first by row: the user's open-session index walks backwards and stops at the page, where ordering by
            // last activity sorted every open session (64 ms for a bot's 24,000 at two million sessions).
            .OrderByDescending(s => s.Id).Take(AdminReads.MaxPageSize).ToListAsync(cancellationToken);
        var refusals = await db.Events.Where(e => e.UserId == user.Id && e.Kind == SessionEventKind.Refused)
            .OrderByDescending(e => e.At).Take(20).ToListAsync(cancellationToken);
        var refused = new List<EventView>();
        foreach (var e in refusals)
            refused.Add(new EventView(e.At, e.Kind, e.WikiId is { } w ? (await farm.GetAsync(w, cancellationToken)).DbName : null, null, e.Detail));
        return new UserDetail(user.Name, user.Prevented, user.PreventedAt, user.LockedAt, attached.Order(StringComparer.Ordinal).ToList(), bots, grants,
            await sessions.ViewsAsync(db, active, cancellationToken)) {
                RefusedLogins = refused, CentralSessions = await CentralSessionsAsync(db, user, active, cancellationToken),
                EndedCentralSessions = await EndedCentralSessionsAsync(db, user, cancellationToken),
            };
    }

    private async Task<IReadOnlyList<CentralSessionView>> CentralSessionsAsync(SessionsDb db, GlobalUser user, IReadOnlyList<Session> active, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var centrals = await Validity.Active(db, db.CentralSessions.Where(c => c.UserId == user.Id), await AdminReads.EpochAsync(db, cancellationToken), now)
            .OrderByDescending(c => c.Id).Take(AdminReads.MaxPageSize).ToListAsync(cancellationToken);
        var views = new List<CentralSessionView>();
        foreach (var c in centrals)
        {
            var wikis = new List<string>();
            foreach (var id in active.Where(s => s.CentralSessionId == c.Id).Select(s => s.WikiId).Distinct())
                wikis.Add((await farm.GetAsync(id, cancellationToken)).DbName);
            views.Add(new CentralSessionView(c.Handle, c.CreatedAt, c.LastActivityAt, c.ExpiresAt, c.Remember, wikis.Order(StringComparer.Ordinal).ToList()));
        }
        return views;
    }

    private async Task<IReadOnlyList<CentralSessionView>> EndedCentralSessionsAsync(SessionsDb db, GlobalUser user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var epoch = await AdminReads.EpochAsync(db, cancellationToken);
        var active = Validity.Active(db, db.CentralSessions.Where(c => c.UserId == user.Id), epoch, now).Select(c => c.Id);
        var ended = await db.CentralSessions.Where(c => c.UserId == user.Id && !active.Contains(c.Id)).OrderByDescending(c => c.Id).Take(5)
            .AsNoTracking().ToListAsync(cancellationToken);
        var views = new List<CentralSessionView>();
        foreach (var c in ended)
        {
            var reason = Validity.Reason(c, user, epoch, now) ?? EndReason.Idle;
            // A logout starts its trace at the instant it ends the sessions.
            var trace = c.EndedAt is { } at && reason is EndReason.LoggedOut or EndReason.LoggedOutElsewhere
                ? await db.LogoutTraces.Where(t => t.UserId == user.Id && t.StartedAt == at).Select(t => t.Id).FirstOrDefaultAsync(cancellationToken)
                : null;
            views.Add(new CentralSessionView(c.Handle, c.CreatedAt, c.LastActivityAt, c.ExpiresAt, c.Remember, [],
                c.EndedAt ?? (reason == EndReason.Idle ? c.ExpiresAt : c.LastActivityAt), EndReasons.Describe(reason), trace));
        }
        return views;
    }

    /// <summary>Every session of the user, newest first, each with how and why it ended.</summary>
    public async Task<Paged<AdminSession>> HistoryAsync(string name, int page = 1, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await AdminReads.FindUserAsync(db, name, cancellationToken);
        return await sessions.PageAsync(db, db.Sessions.Where(s => s.UserId == user.Id), page, pageSize, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> SuggestUsersAsync(string prefix, int limit = 10, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(prefix)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Name.StartsWith(prefix)).OrderBy(u => u.Name).Select(u => u.Name).Take(Math.Clamp(limit, 1, 50)).ToListAsync(cancellationToken);
    }

    /// <summary>What revoking one bot password (<paramref name="appId"/>) or OAuth grant (<paramref name="consumer"/>) of the user would end.</summary>
    /// <exception cref="SessionException">NotFound: the user holds no such unrevoked credential.</exception>
    public async Task<BlastRadius> CredentialBlastRadiusAsync(string name, string? appId, string? consumer, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await AdminReads.FindUserAsync(db, name, cancellationToken);
        var active = (await AdminReads.ActiveAsync(db, time.GetUtcNow(), cancellationToken)).Where(s => s.UserId == user.Id);
        if (appId is not null)
        {
            var bot = await db.BotPasswords.Where(p => p.UserId == user.Id && p.AppId == appId && p.RevokedAt == null).Select(p => (int?)p.Id).FirstOrDefaultAsync(cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"{user.Name} has no unrevoked bot password '{appId}'.");
            active = active.Where(s => s.BotPasswordId == bot);
        }
        else
        {
            var grant = await db.OAuthGrants.Where(g => g.UserId == user.Id && g.Consumer!.Name == consumer && g.RevokedAt == null).Select(g => (int?)g.Id).FirstOrDefaultAsync(cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"{user.Name} has no unrevoked OAuth grant for '{consumer}'.");
            active = active.Where(s => s.OAuthGrantId == grant);
        }
        return new BlastRadius(await active.CountAsync(cancellationToken), await active.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken), 0,
            appId is null ? 0 : 1, appId is null ? 1 : 0);
    }

    public async Task<BlastRadius> UserBlastRadiusAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await AdminReads.FindUserAsync(db, name, cancellationToken);
        var now = time.GetUtcNow();
        var active = (await AdminReads.ActiveAsync(db, now, cancellationToken)).Where(s => s.UserId == user.Id);
        return new BlastRadius(
            await active.CountAsync(cancellationToken),
            await active.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken),
            await Validity.Active(db, db.CentralSessions.Where(s => s.UserId == user.Id), await AdminReads.EpochAsync(db, cancellationToken), now).CountAsync(cancellationToken),
            await db.BotPasswords.CountAsync(p => p.UserId == user.Id && p.RevokedAt == null, cancellationToken),
            await db.OAuthGrants.CountAsync(g => g.UserId == user.Id && g.RevokedAt == null, cancellationToken));
    }
}
