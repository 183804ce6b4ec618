using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

public sealed record Paged<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize);

/// <summary>What the admin queries share: page bounds, the active-session rule and finding a user by name.</summary>
internal static class AdminReads
{
    public const int MaxPageSize = 500;

    public static (int Page, int PageSize) Clamp(int page, int pageSize)
    {
        if (page < 1) throw new SessionException(Failure.Invalid, "page starts at 1.");
        if (pageSize is < 1 or > MaxPageSize) throw new SessionException(Failure.Invalid, $"pageSize must be between 1 and {MaxPageSize}.");
        return (page, pageSize);
    }

    public static Task<long> EpochAsync(SessionsDb db, CancellationToken cancellationToken) => db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);

    /// <summary>Sessions that count as active now, by the rule resolve uses.</summary>
    public static async Task<IQueryable<Session>> ActiveAsync(SessionsDb db, DateTimeOffset now, CancellationToken cancellationToken) =>
        Validity.Active(db, db.Sessions, await EpochAsync(db, cancellationToken), now);

    public static async Task<GlobalUser> FindUserAsync(SessionsDb db, string name, CancellationToken cancellationToken) =>
        await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == name, cancellationToken)
        ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{name}'.");
}
