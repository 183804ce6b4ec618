using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>One wiki's step of a logout: <paramref name="Kind"/> says what happened, <paramref name="Outcome"/> says it in words.</summary>
public sealed record TraceStepView(
    int Order, string Wiki, int SessionsFound, int SessionsEnded, IReadOnlyList<string> CookiesCleared, TraceStepKind Kind, string Outcome, DateTimeOffset At, double DurationMs);
public sealed record ResurrectionView(string SessionHandle, string Wiki, DateTimeOffset CreatedAt);
public sealed record LogoutTraceView(
    string TraceId, string? User, string Wiki, LogoutScope Scope, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, LogoutOutcome Outcome,
    bool CentralSessionSurvived, IReadOnlyList<TraceStepView> Steps, IReadOnlyList<ResurrectionView> Resurrections);
public sealed record LogoutTraceSummary(string TraceId, string? User, string Wiki, LogoutScope Scope, DateTimeOffset StartedAt, LogoutOutcome Outcome, bool CentralSessionSurvived, int Resurrections);

/// <summary>Logout traces for the admin API, the dashboard and the replays: each logout's steps per wiki and what came back after it.</summary>
public sealed class TraceQueries(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm)
{
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
                step.CookiesCleared.Split(',', StringSplitOptions.RemoveEmptyEntries), step.Kind, step.Outcome, step.At, step.DurationMs));
        }
        var res = new List<ResurrectionView>();
        foreach (var r in resurrections) res.Add(new ResurrectionView(r.Handle, (await farm.GetAsync(r.WikiId, cancellationToken)).DbName, r.CreatedAt));
        return new LogoutTraceView(trace.Id, user, (await farm.GetAsync(trace.StartedOnWikiId, cancellationToken)).DbName,
            trace.Scope, trace.StartedAt, trace.FinishedAt, trace.Outcome, trace.CentralSessionSurvived, steps, res);
    }

    public async Task<Paged<LogoutTraceSummary>> TracesAsync(string? user = null, bool resurrectedOnly = false, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = AdminReads.Clamp(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var query = db.LogoutTraces.AsQueryable();
        if (!string.IsNullOrWhiteSpace(user))
        {
            var id = await db.Users.Where(u => u.Name == user).Select(u => (int?)u.Id).FirstOrDefaultAsync(cancellationToken);
            query = query.Where(t => t.UserId == id);
        }
        if (resurrectedOnly) query = query.Where(t => db.Sessions.Any(s => s.ResurrectionOfTraceId == t.Id));
        var total = await query.CountAsync(cancellationToken);
        var rows = await query.OrderByDescending(t => t.StartedAt).Skip(AdminReads.Offset(page, pageSize)).Take(pageSize)
            .Select(t => new
            {
                t.Id, User = db.Users.Where(u => u.Id == t.UserId).Select(u => u.Name).FirstOrDefault(), t.StartedOnWikiId, t.Scope, t.StartedAt,
                t.Outcome, t.CentralSessionSurvived, Resurrections = db.Sessions.Count(s => s.ResurrectionOfTraceId == t.Id),
            }).ToListAsync(cancellationToken);
        var items = new List<LogoutTraceSummary>();
        foreach (var t in rows)
        {
            items.Add(new LogoutTraceSummary(t.Id, t.User, (await farm.GetAsync(t.StartedOnWikiId, cancellationToken)).DbName,
                t.Scope, t.StartedAt, t.Outcome, t.CentralSessionSurvived, t.Resurrections));
        }
        return new Paged<LogoutTraceSummary>(items, total, page, pageSize);
    }
}
