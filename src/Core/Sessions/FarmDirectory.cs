using System.Collections.Concurrent;
using System.Collections.Frozen;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// The farm's wikis and provider settings, read once and kept in memory: they change with a deployment,
/// not per request, and every request needs them.
/// </summary>
public sealed class FarmDirectory(IDbContextFactory<SessionsDb> dbFactory, SessionCache cache)
{
    private sealed record Snapshot(
        FrozenDictionary<string, Wiki> ByName,
        FrozenDictionary<int, Wiki> ById,
        FrozenDictionary<string, Wiki> ByKeyHash,
        IReadOnlyList<ProviderSetting> Settings)
    {
        /// <summary>Each wiki's effective settings, worked out on its first request: every request asks.</summary>
        public ConcurrentDictionary<int, IReadOnlyDictionary<ProviderKind, ProviderSetting>> Effective { get; } = new();
    }

    private Snapshot? _snapshot;

    /// <summary>Forget the cached farm, after wikis or provider settings changed, and whatever was cached under the old one.</summary>
    public void Reload()
    {
        _snapshot = null;
        cache.EvictAll();
    }

    public async Task<Wiki?> FindAsync(string dbName, CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).ByName.GetValueOrDefault(dbName);

    /// <summary>The wiki whose API key has this SHA-256, or null. A lookup of a 256-bit key's hash reveals nothing to time.</summary>
    public async Task<Wiki?> FindByKeyHashAsync(string keyHash, CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).ByKeyHash.GetValueOrDefault(keyHash);

    public async Task<Wiki> GetAsync(int wikiId, CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).ById[wikiId];

    public async Task<IReadOnlyCollection<Wiki>> AllAsync(CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).ById.Values;

    public async Task<Wiki> CentralAsync(CancellationToken cancellationToken) =>
        (await GetAsync(cancellationToken)).ById.Values.FirstOrDefault(w => w.IsCentral)
        ?? throw new SessionException(Failure.Misconfigured, "The farm has no central login wiki; mark one wiki as central.");

    /// <summary>The effective setting of each provider on a wiki: the wiki's own row, else the farm default.</summary>
    public async Task<IReadOnlyDictionary<ProviderKind, ProviderSetting>> SettingsAsync(int wikiId, CancellationToken cancellationToken)
    {
        var snapshot = await GetAsync(cancellationToken);
        return snapshot.Effective.GetOrAdd(wikiId, id => Enum.GetValues<ProviderKind>().ToFrozenDictionary(
            kind => kind,
            kind => snapshot.Settings.FirstOrDefault(s => s.WikiId == id && s.Provider == kind)
                ?? snapshot.Settings.FirstOrDefault(s => s.WikiId == null && s.Provider == kind)
                ?? new ProviderSetting { Provider = kind, Enabled = false }));
    }

    private async Task<Snapshot> GetAsync(CancellationToken cancellationToken)
    {
        if (_snapshot is { } cached) return cached;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var wikis = await db.Wikis.AsNoTracking().ToListAsync(cancellationToken);
        var settings = await db.ProviderSettings.AsNoTracking().ToListAsync(cancellationToken);
        var snapshot = new Snapshot(
            wikis.ToFrozenDictionary(w => w.DbName, StringComparer.Ordinal),
            wikis.ToFrozenDictionary(w => w.Id),
            wikis.ToFrozenDictionary(w => w.ApiKeyHash, StringComparer.Ordinal),
            settings);
        // Cache only a populated farm, so a start before seeding does not pin an empty one.
        if (wikis.Count > 0) _snapshot = snapshot;
        return snapshot;
    }
}
