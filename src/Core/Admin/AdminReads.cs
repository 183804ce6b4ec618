using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>What is open in the current epoch; see <see cref="AdminReads.OpenInEpochAsync"/>.</summary>
internal sealed record OpenInEpoch(int Sessions, int Wikis, int Centrals, int Tokens);

/// <summary>A page of a list; when <see cref="TotalCapped"/> is set, more than <c>Total</c> items match and they were not all counted.</summary>
public sealed record Paged<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize)
{
    public bool TotalCapped { get; init; }
}

/// <summary>What the admin queries share: page bounds, the active-session rule and finding a user by name.</summary>
internal static class AdminReads
{
    public const int MaxPageSize = 500;
    /// <summary>Highest page number: with the largest page size its offset still fits the store's integers.</summary>
    public const int MaxPage = 1_000_000;
    /// <summary>Session lists count their matches up to this many; beyond it the total reads "more than 10,000".</summary>
    public const int MaxCount = 10_000;

    public static (int Page, int PageSize) Clamp(int page, int pageSize)
    {
        if (page is < 1 or > MaxPage) throw new SessionException(Failure.Invalid, $"page must be between 1 and {MaxPage:N0}.");
        if (pageSize is < 1 or > MaxPageSize) throw new SessionException(Failure.Invalid, $"pageSize must be between 1 and {MaxPageSize}.");
        return (page, pageSize);
    }

    /// <summary>Rows before the page, in 64-bit arithmetic, so no page number wraps to an earlier one.</summary>
    public static int Offset(int page, int pageSize) => checked((int)((long)(page - 1) * pageSize));

    public static Task<long> EpochAsync(SessionsDb db, CancellationToken cancellationToken) => db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);

    /// <summary>Sessions that count as active now, by the rule resolve uses.</summary>
    public static async Task<IQueryable<Session>> ActiveAsync(SessionsDb db, DateTimeOffset now, CancellationToken cancellationToken) =>
        Validity.Active(db, db.Sessions, await EpochAsync(db, cancellationToken), now);

    /// <summary>The counts of open sessions in the current epoch that are above zero, each summed over its slots.</summary>
    public static async Task<List<WikiSessionCount>> OpenCountsAsync(SessionsDb db, CancellationToken cancellationToken) =>
        await OpenCountsAsync(db, await EpochAsync(db, cancellationToken), cancellationToken);

    private static Task<List<WikiSessionCount>> OpenCountsAsync(SessionsDb db, long epoch, CancellationToken cancellationToken) =>
        db.SessionCounts.Where(c => c.Epoch == epoch)
            .GroupBy(c => new { c.WikiId, c.Provider, c.Anonymous })
            .Select(g => new WikiSessionCount { WikiId = g.Key.WikiId, Epoch = epoch, Provider = g.Key.Provider, Anonymous = g.Key.Anonymous, OpenSessions = g.Sum(c => c.OpenSessions) })
            .Where(c => c.OpenSessions > 0)
            .ToListAsync(cancellationToken);

    /// <summary>
    /// What is open in the current epoch: sessions of open wikis from the counters, and central sessions and remember-me
    /// tokens not ended nor expired. Open, not valid: a session idle past its expiry counts until the next sweep, and a
    /// user's token reset is already counted because it ends the user's sessions in the same transaction.
    /// </summary>
    public static async Task<OpenInEpoch> OpenInEpochAsync(SessionsDb db, FarmDirectory farm, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var epoch = await EpochAsync(db, cancellationToken);
        var counts = await OpenCountsAsync(db, epoch, cancellationToken);
        // The counters count sessions until they are marked ended; those that idled out since the last sweep were not
        // valid just before, and the sweeper's index finds them (a minute's backlog, not the farm).
        var lapsed = await db.Sessions.Where(s => s.EndedAt == null && s.ExpiresAt <= now && s.Epoch == epoch)
            .GroupBy(s => s.WikiId).Select(g => new { WikiId = g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.WikiId, g => (long)g.Count, cancellationToken);
        var closed = (await farm.AllAsync(cancellationToken)).Where(w => w.Status == WikiStatus.Closed).Select(w => w.Id).ToHashSet();
        var open = counts.Where(c => !closed.Contains(c.WikiId))
            .GroupBy(c => c.WikiId).Select(g => g.Sum(c => c.OpenSessions) - lapsed.GetValueOrDefault(g.Key)).Where(n => n > 0).ToList();
        return new OpenInEpoch(
            (int)open.Sum(), open.Count,
            await db.CentralSessions.CountAsync(c => c.EndedAt == null && c.ExpiresAt > now && c.Epoch == epoch, cancellationToken),
            await db.RememberTokens.CountAsync(t => t.EndedAt == null && t.ExpiresAt > now && t.Epoch == epoch, cancellationToken));
    }

    public static async Task<GlobalUser> FindUserAsync(SessionsDb db, string name, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, cancellationToken)
        ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{name}'.");
}
