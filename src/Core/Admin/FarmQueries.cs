using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>A wiki's active sessions: logged-in ones by provider, and anonymous ones (MediaWiki keeps a session for every visitor) apart.</summary>
public sealed record WikiOverview(string Wiki, string Host, DeploymentGroup Group, WikiStatus Status, int ActiveSessions, IReadOnlyDictionary<ProviderKind, int> ByProvider,
    int AnonymousSessions = 0);

public sealed record AuditView(long Id, DateTimeOffset At, string Actor, string Action, string Reason, string Target, int SessionsEnded, string Detail);

/// <summary>The whole farm for the admin API and the dashboard: sessions per wiki, error rates, the audit log.</summary>
public sealed class FarmQueries(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm, TimeProvider time)
{
    /// <summary>Active sessions per wiki and provider, for every wiki of the farm.</summary>
    public async Task<IReadOnlyList<WikiOverview>> WikisAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var active = await AdminReads.ActiveAsync(db, time.GetUtcNow(), cancellationToken);
        var counts = await active.GroupBy(s => new { s.WikiId, s.Provider, Anonymous = s.UserId == null })
            .Select(g => new { g.Key.WikiId, g.Key.Provider, g.Key.Anonymous, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var byWiki = counts.Where(c => !c.Anonymous).ToLookup(c => c.WikiId);
        var anonymous = counts.Where(c => c.Anonymous).GroupBy(c => c.WikiId).ToDictionary(g => g.Key, g => g.Sum(c => c.Count));
        return (await farm.AllAsync(cancellationToken)).OrderBy(w => w.DbName, StringComparer.Ordinal).Select(w => new WikiOverview(
            w.DbName, w.Host, w.Group, w.Status, byWiki[w.Id].Sum(c => c.Count),
            byWiki[w.Id].ToDictionary(c => c.Provider, c => c.Count), anonymous.GetValueOrDefault(w.Id))).ToList();
    }

    /// <summary>Active sessions in the whole farm: what invalidate-everyone would end.</summary>
    public async Task<BlastRadius> FarmBlastRadiusAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var active = await AdminReads.ActiveAsync(db, now, cancellationToken);
        return new BlastRadius(await active.CountAsync(cancellationToken), await active.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken),
            await Validity.Active(db, db.CentralSessions, await AdminReads.EpochAsync(db, cancellationToken), now).CountAsync(cancellationToken), 0, 0);
    }

    public async Task<Paged<AuditView>> AuditAsync(int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        (page, pageSize) = AdminReads.Clamp(page, pageSize);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var total = await db.Audit.CountAsync(cancellationToken);
        var items = await db.Audit.OrderByDescending(a => a.Id).Skip(AdminReads.Offset(page, pageSize)).Take(pageSize)
            .Select(a => new AuditView(a.Id, a.At, a.Actor, a.Action, a.Reason, a.Target, a.SessionsEnded, a.Detail)).ToListAsync(cancellationToken);
        return new Paged<AuditView>(items, total, page, pageSize);
    }
}
