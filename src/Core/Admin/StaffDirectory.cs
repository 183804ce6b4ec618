using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>Checks staff passwords and API tokens, and wiki server keys.</summary>
public sealed class StaffDirectory(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm)
{
    public async Task<StaffActor?> VerifyPasswordAsync(string name, string password, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var account = await db.Staff.AsNoTracking().FirstOrDefaultAsync(s => s.Name == name, cancellationToken);
        return account is not null && Secrets.VerifyPassword(password, account.PasswordHash) ? new StaffActor(account.Name, account.Role) : null;
    }

    public async Task<StaffActor?> VerifyTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        var hash = Secrets.Sha256(token);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var account = await db.Staff.AsNoTracking().FirstOrDefaultAsync(s => s.TokenHash == hash, cancellationToken);
        return account is null ? null : new StaffActor(account.Name, account.Role);
    }

    /// <summary>The role a staff member has now, or null when the account is gone (so a live dashboard login can be ended).</summary>
    public async Task<StaffRole?> CurrentRoleAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Staff.Where(s => s.Name == name).Select(s => (StaffRole?)s.Role).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Names and roles of the staff accounts (never their secrets), for the login page's demo hint.</summary>
    public async Task<IReadOnlyList<StaffActor>> StaffAccountsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Staff.OrderBy(s => s.Role).ThenBy(s => s.Name).Select(s => new StaffActor(s.Name, s.Role)).ToListAsync(cancellationToken);
    }

    /// <summary>The wiki a server key belongs to, or null.</summary>
    public Task<Wiki?> VerifyWikiKeyAsync(string key, CancellationToken cancellationToken = default) =>
        farm.FindByKeyHashAsync(Secrets.Sha256(key), cancellationToken);
}
