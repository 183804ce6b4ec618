using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>A session as staff see it: named by its handle, never its ID.</summary>
public sealed record AdminSession(
    string Handle, string Wiki, string? User, string Provider, string? CentralSessionHandle,
    DateTimeOffset CreatedAt, DateTimeOffset LastActivityAt, DateTimeOffset ExpiresAt, bool Remember,
    string? Ip, string? UserAgent, string Origin, DateTimeOffset? EndedAt, string? EndReason, string? EndReasonText,
    string? EndedBy, string? ResurrectionOfTraceId);

public sealed record WikiOverview(string Wiki, string Host, string Group, string Status, int ActiveSessions, IReadOnlyDictionary<string, int> ByProvider);

public sealed record Paged<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize);

public sealed record BotPasswordView(string AppId, string Grants, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);
public sealed record OAuthGrantView(string Consumer, string Grants, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record UserDetail(
    string Name, bool Prevented, DateTimeOffset? PreventedAt, IReadOnlyList<string> AttachedWikis,
    IReadOnlyList<BotPasswordView> BotPasswords, IReadOnlyList<OAuthGrantView> OAuthGrants, IReadOnlyList<AdminSession> ActiveSessions)
{
    /// <summary>The user's latest refused logins (prevented, revoked bot password or grant, closed wiki), newest first.</summary>
    public IReadOnlyList<EventView> RefusedLogins { get; init; } = [];
}

/// <summary>What an action on a user would end, shown before a steward confirms it.</summary>
public sealed record BlastRadius(int ActiveSessions, int Wikis, int CentralSessions, int BotPasswords, int OAuthGrants);

public sealed record SessionFilter(string? Wiki = null, string? User = null, string? Provider = null, string? Ip = null, bool? Active = null);

public sealed record TraceStepView(int Order, string Wiki, int SessionsFound, int SessionsEnded, IReadOnlyList<string> CookiesCleared, string Outcome, DateTimeOffset At, double DurationMs);
public sealed record ResurrectionView(string SessionHandle, string Wiki, DateTimeOffset CreatedAt);
public sealed record LogoutTraceView(
    string TraceId, string? User, string Wiki, string Scope, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, string Outcome,
    bool CentralSessionSurvived, IReadOnlyList<TraceStepView> Steps, IReadOnlyList<ResurrectionView> Resurrections);
public sealed record LogoutTraceSummary(string TraceId, string? User, string Wiki, string Scope, DateTimeOffset StartedAt, string Outcome, bool CentralSessionSurvived, int Resurrections);

public sealed record MetadataDiffView(DateTimeOffset At, IReadOnlyDictionary<string, string> Saved, IReadOnlyDictionary<string, string> Provided, IReadOnlyList<string> ConflictingKeys);
public sealed record EventView(DateTimeOffset At, string Kind, string? Wiki, string? SessionHandle, string Detail);
public sealed record AuditView(long Id, DateTimeOffset At, string Actor, string Action, string Reason, string Target, int SessionsEnded, string Detail);
public sealed record SessionDetail(AdminSession Session, string ProviderExplanation, IReadOnlyList<string> CookiesSet, IReadOnlyList<EventView> Events, IReadOnlyList<MetadataDiffView> MetadataDiffs);
public sealed record ErrorRate(string Key, int Events, int Errors);

/// <summary>The read side shared by the admin API and the dashboard.</summary>
public sealed class SessionQueries(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm, TimeProvider time)
{
    public const int MaxPageSize = 500;

    /// <summary>Active sessions per wiki and provider, for every wiki of the farm.</summary>
    public async Task<IReadOnlyList<WikiOverview>> WikisAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var active = await ActiveAsync(db, cancellationToken);
        var counts = await active.GroupBy(s => new { s.WikiId, s.Provider })
            .Select(g => new { g.Key.WikiId, g.Key.Provider, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var byWiki = counts.ToLookup(c => c.WikiId);
        return (await farm.AllAsync(cancellationToken)).OrderBy(w => w.DbName, StringComparer.Ordinal).Select(w => new WikiOverview(
            w.DbName, w.Host, Wire(w.Group), w.Status.ToString().ToLowerInvariant(), byWiki[w.Id].Sum(c => c.Count),
            byWiki[w.Id].ToDictionary(c => SessionService.Wire(c.Provider), c => c.Count))).ToList();
    }

    public async Task<UserDetail> UserAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await FindUserAsync(db, name, cancellationToken);
        var wikiIds = await db.Attachments.Where(a => a.UserId == user.Id).Select(a => a.WikiId).ToListAsync(cancellationToken);
        var attached = new List<string>();
        foreach (var id in wikiIds) attached.Add((await farm.GetAsync(id, cancellationToken)).DbName);
        var bots = await db.BotPasswords.Where(p => p.UserId == user.Id).OrderBy(p => p.AppId)
            .Select(p => new BotPasswordView(p.AppId, p.Grants, p.CreatedAt, p.RevokedAt)).ToListAsync(cancellationToken);
        var grants = await db.OAuthGrants.Where(g => g.UserId == user.Id).OrderBy(g => g.Consumer!.Name)
            .Select(g => new OAuthGrantView(g.Consumer!.Name, g.Grants, g.CreatedAt, g.RevokedAt)).ToListAsync(cancellationToken);
        var active = await (await ActiveAsync(db, cancellationToken)).Where(s => s.UserId == user.Id && s.UserToken == user.Token)
            .OrderByDescending(s => s.LastActivityAt).Take(MaxPageSize).ToListAsync(cancellationToken);
        var refusals = await db.Events.Where(e => e.UserId == user.Id && e.Kind == SessionEventKind.Refused)
            .OrderByDescending(e => e.At).Take(20).ToListAsync(cancellationToken);
        var refused = new List<EventView>();
        foreach (var e in refusals)
            refused.Add(new EventView(e.At, e.Kind.ToString(), e.WikiId is { } w ? (await farm.GetAsync(w, cancellationToken)).DbName : null, null, e.Detail));
        return new UserDetail(user.Name, user.Prevented, user.PreventedAt, attached.Order(StringComparer.Ordinal).ToList(), bots, grants,
            await ViewsAsync(db, active, cancellationToken)) { RefusedLogins = refused };
    }

    /// <summary>Every session of the user, newest first, each with how and why it ended.</summary>
    public async Task<Paged<AdminSession>> HistoryAsync(string name, int page = 1, int pageSize = 100, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await FindUserAsync(db, name, cancellationToken);
        return await PageAsync(db, db.Sessions.Where(s => s.UserId == user.Id).OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id), page, pageSize, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> SuggestUsersAsync(string prefix, int limit = 10, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(prefix)) return [];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Name.StartsWith(prefix)).OrderBy(u => u.Name).Select(u => u.Name).Take(Math.Clamp(limit, 1, 50)).ToListAsync(cancellationToken);
    }

    public async Task<BlastRadius> UserBlastRadiusAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await FindUserAsync(db, name, cancellationToken);
        var active = (await ActiveAsync(db, cancellationToken)).Where(s => s.UserId == user.Id);
        return new BlastRadius(
            await active.CountAsync(cancellationToken),
            await active.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken),
            await Validity.Active(db, db.CentralSessions.Where(s => s.UserId == user.Id), await EpochAsync(db, cancellationToken), time.GetUtcNow()).CountAsync(cancellationToken),
            await db.BotPasswords.CountAsync(p => p.UserId == user.Id && p.RevokedAt == null, cancellationToken),
            await db.OAuthGrants.CountAsync(g => g.UserId == user.Id && g.RevokedAt == null, cancellationToken));
    }

    /// <summary>Active sessions in the whole farm: what invalidate-everyone would end.</summary>
    public async Task<BlastRadius> FarmBlastRadiusAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var active = await ActiveAsync(db, cancellationToken);
        return new BlastRadius(await active.CountAsync(cancellationToken), await active.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken),
            await Validity.Active(db, db.CentralSessions, await EpochAsync(db, cancellationToken), time.GetUtcNow()).CountAsync(cancellationToken), 0, 0);
    }

    /// <summary>A page of sessions; the filter and paging run in the store, so this scales to millions of rows.</summary>
    public async Task<Paged<AdminSession>> SessionsAsync(SessionFilter filter, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = await FilterAsync(db, filter, cancellationToken);
        return await PageAsync(db, query.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id), page, pageSize, cancellationToken);
    }

    /// <summary>Every session of the filter, in pages of the store, for a CSV export.</summary>
    public async IAsyncEnumerable<AdminSession> ExportAsync(SessionFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var page = 1; ; page++)
        {
            var batch = await SessionsAsync(filter, page, MaxPageSize, cancellationToken);
            foreach (var item in batch.Items) yield return item;
            if (batch.Items.Count < MaxPageSize) yield break;
        }
    }

    public async Task<SessionDetail> SessionAsync(string handle, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Handle == handle, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
        var view = (await ViewsAsync(db, [session], cancellationToken))[0];
        var events = await db.Events.Where(e => e.SessionId == session.Id).OrderBy(e => e.At).ThenBy(e => e.Id).Take(MaxPageSize).ToListAsync(cancellationToken);
        var settings = await farm.SettingsAsync(session.WikiId, cancellationToken);
        var setting = settings[session.Provider];
        var others = settings.Values.Where(s => s.Provider != session.Provider && s.Enabled).Select(s => $"{SessionService.Wire(s.Provider)} ({s.Priority})");
        var explanation = $"{SessionService.Wire(session.Provider)} (priority {setting.Priority}) resolved it: " + session.Origin switch
        {
            SessionOrigin.AutoLogin => "the browser had no session here, and the central session logged it in (auto-login).",
            SessionOrigin.RememberMe => "the remember-me token cookie matched the user's token.",
            SessionOrigin.OAuthRequest => "an OAuth request of the consumer made it; its ID is derived from the grant.",
            _ => "it was made at login, and it wins over any lower-priority provider that recognises the same request.",
        } + $" Other providers on this wiki: {string.Join(", ", others)}.";
        return new SessionDetail(view, explanation,
            session.CookiesSet.Split(',', StringSplitOptions.RemoveEmptyEntries),
            events.Select(e => new EventView(e.At, e.Kind.ToString(), view.Wiki, e.SessionHandle, e.Detail)).ToList(),
            await DiffsAsync(db, session.Id, cancellationToken));
    }

    public async Task<IReadOnlyList<MetadataDiffView>> MetadataDiffsAsync(string handle, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var id = await db.Sessions.Where(s => s.Handle == handle).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
        return await DiffsAsync(db, id, cancellationToken);
    }

    public async Task<LogoutTraceView> TraceAsync(string traceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var trace = await db.LogoutTraces.AsNoTracking().Include(t => t.Steps).FirstOrDefaultAsync(t => t.Id == traceId, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no logout trace '{traceId}' (it may have been swept after the retention period).");
        var user = trace.UserId is { } uid ? await db.Users.Where(u => u.Id == uid).Select(u => u.Name).FirstOrDefaultAsync(cancellationToken) : null;
        var resurrections = await db.Sessions.Where(s => s.ResurrectionOfTraceId == trace.Id).OrderBy(s => s.CreatedAt)
            .Select(s => new { s.Handle, s.WikiId, s.CreatedAt }).ToListAsync(cancellationToken);
        var steps = new List<TraceStepView>();
        foreach (var step in trace.Steps.OrderBy(s => s.Order))
        {
            steps.Add(new TraceStepView(step.Order, (await farm.GetAsync(step.WikiId, cancellationToken)).DbName, step.SessionsFound, step.SessionsEnded,
                step.CookiesCleared.Split(',', StringSplitOptions.RemoveEmptyEntries), step.Outcome, step.At, step.DurationMs));
        }
        var res = new List<ResurrectionView>();
        foreach (var r in resurrections) res.Add(new ResurrectionView(r.Handle, (await farm.GetAsync(r.WikiId, cancellationToken)).DbName, r.CreatedAt));
        return new LogoutTraceView(trace.Id, user, (await farm.GetAsync(trace.StartedOnWikiId, cancellationToken)).DbName,
            trace.Scope.ToString().ToLowerInvariant(), trace.StartedAt, trace.FinishedAt, trace.Outcome.Wire(), trace.CentralSessionSurvived, steps, res);
    }

    public async Task<Paged<LogoutTraceSummary>> TracesAsync(string? user = null, bool resurrectedOnly = false, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = Clamp(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.LogoutTraces.AsQueryable();
        if (!string.IsNullOrWhiteSpace(user))
        {
            var id = await db.Users.Where(u => u.Name == user).Select(u => (int?)u.Id).FirstOrDefaultAsync(cancellationToken);
            query = query.Where(t => t.UserId == id);
        }
        if (resurrectedOnly) query = query.Where(t => db.Sessions.Any(s => s.ResurrectionOfTraceId == t.Id));
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.OrderByDescending(t => t.StartedAt).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(t => new
            {
                t.Id, User = db.Users.Where(u => u.Id == t.UserId).Select(u => u.Name).FirstOrDefault(), t.StartedOnWikiId, t.Scope, t.StartedAt,
                t.Outcome, t.CentralSessionSurvived, Resurrections = db.Sessions.Count(s => s.ResurrectionOfTraceId == t.Id),
            }).ToListAsync(cancellationToken);
        var items = new List<LogoutTraceSummary>();
        foreach (var t in rows)
        {
            items.Add(new LogoutTraceSummary(t.Id, t.User, (await farm.GetAsync(t.StartedOnWikiId, cancellationToken)).DbName,
                t.Scope.ToString().ToLowerInvariant(), t.StartedAt, t.Outcome.Wire(), t.CentralSessionSurvived, t.Resurrections));
        }
        return new Paged<LogoutTraceSummary>(items, total, page, pageSize);
    }

    public async Task<Paged<AuditView>> AuditAsync(int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = Clamp(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var total = await db.Audit.CountAsync(cancellationToken);
        var items = await db.Audit.OrderByDescending(a => a.Id).Skip((page - 1) * pageSize).Take(pageSize)
            .Select(a => new AuditView(a.Id, a.At, a.Actor, a.Action, a.Reason, a.Target, a.SessionsEnded, a.Detail)).ToListAsync(cancellationToken);
        return new Paged<AuditView>(items, total, page, pageSize);
    }

    /// <summary>Events and errors (rejections, refusals, store failures) per wiki since a time, for the overview's charts.</summary>
    public async Task<IReadOnlyList<ErrorRate>> ErrorRatesAsync(DateTimeOffset since, bool byGroup, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Events.Where(e => e.At >= since && e.WikiId != null)
            .GroupBy(e => new { e.WikiId, Error = e.Kind == SessionEventKind.MetadataRejected || e.Kind == SessionEventKind.Refused || e.Kind == SessionEventKind.StoreFailure || e.Kind == SessionEventKind.Resurrection })
            .Select(g => new { g.Key.WikiId, g.Key.Error, Count = g.Count() }).ToListAsync(cancellationToken);
        var result = new Dictionary<string, (int Events, int Errors)>();
        foreach (var row in rows)
        {
            var wiki = await farm.GetAsync(row.WikiId!.Value, cancellationToken);
            var key = byGroup ? Wire(wiki.Group) : wiki.DbName;
            var (events, errors) = result.GetValueOrDefault(key);
            result[key] = (events + row.Count, errors + (row.Error ? row.Count : 0));
        }
        return result.Select(r => new ErrorRate(r.Key, r.Value.Events, r.Value.Errors)).OrderByDescending(r => r.Errors).ThenBy(r => r.Key).ToList();
    }

    /// <summary>Sessions that count as active now, by the rule resolve uses.</summary>
    private static Task<long> EpochAsync(SessionsDb db, CancellationToken cancellationToken) => db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);

    private async Task<IQueryable<Session>> ActiveAsync(SessionsDb db, CancellationToken cancellationToken)
    {
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
        var now = time.GetUtcNow();
        return Validity.Active(db, db.Sessions, epoch, now);
    }

    private async Task<IQueryable<Session>> FilterAsync(SessionsDb db, SessionFilter filter, CancellationToken cancellationToken)
    {
        var query = filter.Active switch
        {
            true => await ActiveAsync(db, cancellationToken),
            false => db.Sessions.Where(s => s.EndedAt != null),
            null => db.Sessions.AsQueryable(),
        };
        if (!string.IsNullOrWhiteSpace(filter.Wiki))
        {
            var wiki = await farm.FindAsync(filter.Wiki.Trim(), cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"There is no wiki named '{filter.Wiki}' in the farm.");
            query = query.Where(s => s.WikiId == wiki.Id);
        }
        if (!string.IsNullOrWhiteSpace(filter.User))
        {
            var user = await FindUserAsync(db, filter.User.Trim(), cancellationToken);
            query = query.Where(s => s.UserId == user.Id);
        }
        if (!string.IsNullOrWhiteSpace(filter.Provider))
        {
            var kind = Enum.GetValues<ProviderKind>().FirstOrDefault(k => SessionService.Wire(k) == filter.Provider.Trim().ToLowerInvariant(), (ProviderKind)(-1));
            if (kind < 0) throw new SessionException(Failure.Invalid, $"'{filter.Provider}' is not a provider; use cookie, botpassword or oauth.");
            query = query.Where(s => s.Provider == kind);
        }
        if (!string.IsNullOrWhiteSpace(filter.Ip))
        {
            var ip = filter.Ip.Trim();
            if (ip.Contains('/'))
            {
                if (!IpKeys.TryRange(ip, out var low, out var high))
                    throw new SessionException(Failure.Invalid, $"'{ip}' is not a CIDR block such as 203.0.113.0/24.");
                query = query.Where(s => string.Compare(s.IpKey, low) >= 0 && string.Compare(s.IpKey, high) <= 0);
            }
            else
            {
                query = query.Where(s => s.Ip!.StartsWith(ip));
            }
        }
        return query;
    }

    private async Task<Paged<AdminSession>> PageAsync(SessionsDb db, IQueryable<Session> query, int page, int pageSize, CancellationToken cancellationToken)
    {
        (page, pageSize) = Clamp(page, pageSize);
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.Skip((page - 1) * pageSize).Take(pageSize).AsNoTracking().ToListAsync(cancellationToken);
        return new Paged<AdminSession>(await ViewsAsync(db, rows, cancellationToken), total, page, pageSize);
    }

    private async Task<IReadOnlyList<AdminSession>> ViewsAsync(SessionsDb db, IReadOnlyList<Session> sessions, CancellationToken cancellationToken)
    {
        var userIds = sessions.Select(s => s.UserId).OfType<int>().Distinct().ToList();
        var users = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Name, cancellationToken);
        var centralIds = sessions.Select(s => s.CentralSessionId).OfType<long>().Distinct().ToList();
        var centrals = await db.CentralSessions.Where(c => centralIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Handle, cancellationToken);
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
        var views = new List<AdminSession>(sessions.Count);
        foreach (var s in sessions)
        {
            // A session of an older epoch has ended even before the sweeper records it.
            var reason = s.EndReason ?? (s.Epoch != epoch ? EndReason.EveryoneInvalidated : null);
            views.Add(new AdminSession(
                s.Handle, (await farm.GetAsync(s.WikiId, cancellationToken)).DbName, s.UserId is { } u ? users.GetValueOrDefault(u) : null,
                SessionService.Wire(s.Provider), s.CentralSessionId is { } c ? centrals.GetValueOrDefault(c) : null,
                s.CreatedAt, s.LastActivityAt, s.ExpiresAt, s.Remember, s.Ip, s.UserAgent, s.Origin.ToString(), s.EndedAt ?? (reason is null ? null : s.LastActivityAt),
                reason?.ToString(), reason is { } r ? EndReasons.Describe(r) : null, s.EndedBy, s.ResurrectionOfTraceId));
        }
        return views;
    }

    private static async Task<IReadOnlyList<MetadataDiffView>> DiffsAsync(SessionsDb db, long sessionId, CancellationToken cancellationToken) =>
        (await db.MetadataDiffs.Where(d => d.SessionId == sessionId).OrderBy(d => d.At).ToListAsync(cancellationToken))
            .Select(d => new MetadataDiffView(d.At, Metadata.Parse(d.Saved), Metadata.Parse(d.Provided), d.ConflictingKeys.Split(',', StringSplitOptions.RemoveEmptyEntries)))
            .ToList();

    private static async Task<GlobalUser> FindUserAsync(SessionsDb db, string name, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, cancellationToken)
        ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{name}'.");

    private static (int Page, int PageSize) Clamp(int page, int pageSize)
    {
        if (page < 1) throw new SessionException(Failure.Invalid, "page starts at 1.");
        if (pageSize is < 1 or > MaxPageSize) throw new SessionException(Failure.Invalid, $"pageSize must be between 1 and {MaxPageSize}.");
        return (page, pageSize);
    }

    private static string Wire(DeploymentGroup group) => group.ToString().ToLowerInvariant();

    /// <summary>Names and roles of the staff accounts (never their secrets), for the login page's demo hint.</summary>
    public async Task<IReadOnlyList<StaffActor>> StaffAccountsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Staff.OrderBy(s => s.Role).ThenBy(s => s.Name).Select(s => new StaffActor(s.Name, s.Role)).ToListAsync(cancellationToken);
    }
}
