using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// Each wiki's share of the MediaWiki store (<see cref="SessionOptions.StoreQuotaBytesPerWiki"/>), so one wiki's key cannot
/// fill the disk for the farm. The bytes a wiki holds are read from the store once, then followed through this instance's
/// writes and deletes; each sweep forgets them, so the next write reads them afresh with what expired gone and what other
/// instances wrote counted. The bound is therefore approximate by at most what other instances wrote within a sweep interval.
/// </summary>
public sealed class StoreQuota(IDbContextFactory<SessionsDb> dbFactory, IOptions<SessionOptions> options)
{
    private readonly ConcurrentDictionary<int, long> _used = new();

    public long QuotaBytes => options.Value.StoreQuotaBytesPerWiki;

    /// <summary>
    /// The bytes of <paramref name="wiki"/>'s values: from memory, or summed over the index on (wiki, length). Called
    /// before a write's transaction, so the sum never runs while the store's write lock is held.
    /// </summary>
    public async ValueTask<long> UsedAsync(Wiki wiki, CancellationToken cancellationToken)
    {
        if (_used.TryGetValue(wiki.Id, out var known)) return known;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var used = await db.Blobs.Where(b => b.WikiId == wiki.Id).SumAsync(b => (long)b.Length, cancellationToken);
        return _used.GetOrAdd(wiki.Id, used);
    }

    /// <summary>Refuses a write that grows <paramref name="wiki"/>'s values by <paramref name="growth"/> bytes past its quota.</summary>
    /// <exception cref="SessionException">QuotaExceeded (507), saying how much the wiki holds and what frees room.</exception>
    public async Task CheckAsync(Wiki wiki, long growth, CancellationToken cancellationToken)
    {
        if (growth <= 0) return;
        var used = await UsedAsync(wiki, cancellationToken);
        if (used + growth > QuotaBytes)
            throw new SessionException(Failure.QuotaExceeded,
                $"{wiki.DbName} holds {used:N0} bytes in the session store, and this value would take it past its quota of {QuotaBytes:N0} bytes; " +
                "nothing was written. Delete values the wiki no longer needs, or wait for them to expire.");
    }

    /// <summary>What a committed write (positive) or delete (negative) changed in the wiki's bytes.</summary>
    public void Add(int wikiId, long bytes)
    {
        // A wiki not yet read is read from the store on its next write, this change included.
        while (bytes != 0 && _used.TryGetValue(wikiId, out var used))
            if (_used.TryUpdate(wikiId, used + bytes, used)) return;
    }

    /// <summary>After a sweep deleted expired values: every wiki's bytes are read afresh on its next write.</summary>
    public void Forget() => _used.Clear();
}
