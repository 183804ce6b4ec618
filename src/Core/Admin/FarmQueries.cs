using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>A wiki's active sessions: logged-in ones by provider, and anonymous ones (MediaWiki keeps a session for every visitor) apart.</summary>
public sealed record WikiOverview(string Wiki, string Host, DeploymentGroup Group, WikiStatus Status, int ActiveSessions, IReadOnlyDictionary<ProviderKind, int> ByProvider,
    int AnonymousSessions = 0);

/// <summary>Which audit entries to list: each part optional; names match exactly; the window is [From, To).</summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? Target = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

public sealed record AuditView(long Id, DateTimeOffset At, string Actor, string Action, string Reason, string Target, int SessionsEnded, string Detail);

/// <summary>The whole farm for the admin API and the dashboard: sessions per wiki, error rates, the audit log.</summary>
public sealed class FarmQueries(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm, TimeProvider time)
{
    /// <summary>Open sessions per wiki and provider in the current epoch, for every wiki of the farm; a closed wiki shows none.</summary>
    /// <remarks>
    /// Read from the counters the store keeps (<see cref="WikiSessionCount"/>), a few thousand rows whatever the number of
    /// sessions, so the live overview can ask every second. The one lag: a session that expired by time counts until the
    /// sweeper marks it ended, at most one sweep interval later.
    /// </remarks>
    public async Task<IReadOnlyList<WikiOverview>> WikisAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var counts = await AdminReads.OpenCountsAsync(db, cancellationToken);
        var byWiki = counts.Where(c => !c.Anonymous).ToLookup(c => c.WikiId);
        var anonymous = counts.Where(c => c.Anonymous).GroupBy(c => c.WikiId).ToDictionary(g => g.Key, g => (int)g.Sum(c => c.OpenSessions));
        return (await farm.AllAsync(cancellationToken)).OrderBy(w => w.DbName, StringComparer.Ordinal).Select(w => w.Status == WikiStatus.Closed
            ? new WikiOverview(w.DbName, w.Host, w.Group, w.Status, 0, new Dictionary<ProviderKind, int>(), 0)
            : new WikiOverview(w.DbName, w.Host, w.Group, w.Status, (int)byWiki[w.Id].Sum(c => c.OpenSessions),
                byWiki[w.Id].ToDictionary(c => c.Provider, c => (int)c.OpenSessions), anonymous.GetValueOrDefault(w.Id))).ToList();
    }

    /// <summary>
    /// What invalidate-everyone would end: the open sessions of the current epoch (from the counters, with their lag),
    /// on how many wikis, and the open central sessions.
    /// </summary>
    public async Task<BlastRadius> FarmBlastRadiusAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var open = await AdminReads.OpenInEpochAsync(db, farm, time.GetUtcNow(), cancellationToken);
        return new BlastRadius(open.Sessions, open.Wikis, open.Centrals, 0, 0);
    }

    public Task<Paged<AuditView>> AuditAsync(int page = 1, int pageSize = 50, CancellationToken cancellationToken = default) =>
        AuditAsync(new AuditFilter(), page, pageSize, cancellationToken);

    /// <summary>The audit log, newest first, filtered and paged in the database.</summary>
    public async Task<Paged<AuditView>> AuditAsync(AuditFilter filter, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = AdminReads.Clamp(page, pageSize);
        if (filter.From is { } from && filter.To is { } to && to <= from)
            throw new SessionException(Failure.Invalid, "The time window ends before it starts: give a 'to' later than 'from'.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var entries = Audit(db, filter);
        var total = await entries.CountAsync(cancellationToken);
        var items = await entries.OrderByDescending(a => a.Id).Skip(AdminReads.Offset(page, pageSize)).Take(pageSize)
            .Select(a => new AuditView(a.Id, a.At, a.Actor, a.Action, a.Reason, a.Target, a.SessionsEnded, a.Detail)).ToListAsync(cancellationToken);
        return new Paged<AuditView>(items, total, page, pageSize);
    }

    /// <summary>The entries a filter keeps; each of actor, action and target has an index ending in the ID the page is ordered by.</summary>
    internal static IQueryable<AuditEntry> Audit(SessionsDb db, AuditFilter filter)
    {
        var entries = db.Audit.AsQueryable();
        if (Clean(filter.Actor) is { } actor) entries = entries.Where(a => a.Actor == actor);
        if (Clean(filter.Action) is { } action) entries = entries.Where(a => a.Action == action);
        if (Clean(filter.Target) is { } target) entries = entries.Where(a => a.Target == target);
        if (filter.From is { } start) entries = entries.Where(a => a.At >= start);
        if (filter.To is { } end) entries = entries.Where(a => a.At < end);
        return entries;
    }

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
