using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Admin;

/// <summary>Checks staff API tokens and wiki server keys, and changes staff accounts.</summary>
/// <remarks>
/// Every change of a password, token, role or of <see cref="StaffAccount.Disabled"/> gives the account a new stamp and
/// ends its staff sessions, so no dashboard login outlives the credential or the rights it was made with.
/// </remarks>
public sealed class StaffDirectory(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm, StaffSessions sessions)
{
    /// <summary>The staff member of an API token, or null when the token is unknown or its account disabled.</summary>
    public Task<StaffActor?> VerifyTokenAsync(string token, CancellationToken cancellationToken = default) =>
        VerifyTokenHashAsync(Secrets.Sha256(token), cancellationToken);

    /// <summary>As <see cref="VerifyTokenAsync"/>, by the token's SHA-256 (for re-checks that keep no token in memory).</summary>
    public async Task<StaffActor?> VerifyTokenHashAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var account = await db.Staff.AsNoTracking().FirstOrDefaultAsync(s => s.TokenHash == tokenHash && !s.Disabled, cancellationToken);
        return account is null ? null : new StaffActor(account.Name, account.Role);
    }

    /// <summary>Names and roles of the staff accounts (never their secrets), for the login page's demo hint.</summary>
    public async Task<IReadOnlyList<StaffActor>> StaffAccountsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Staff.Where(s => !s.Disabled).OrderBy(s => s.Role).ThenBy(s => s.Name).Select(s => new StaffActor(s.Name, s.Role)).ToListAsync(cancellationToken);
    }

    /// <summary>Adds a staff account and returns its API token (the store keeps only hashes).</summary>
    public async Task<string> AddAccountAsync(string name, StaffRole role, string password, CancellationToken cancellationToken = default)
    {
        if (name.Length is 0 or > StaffLoginOptions.MaxNameLength || password.Length is 0 or > StaffLoginOptions.MaxPasswordLength)
            throw new ArgumentException($"A staff name has 1 to {StaffLoginOptions.MaxNameLength} characters, a password 1 to {StaffLoginOptions.MaxPasswordLength}.");
        var token = Secrets.NewToken();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.Staff.Add(new StaffAccount
        {
            Name = name, Role = role, PasswordHash = Secrets.HashPassword(password), TokenHash = Secrets.Sha256(token), Stamp = NewStamp(),
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    public Task<bool> ChangePasswordAsync(string name, string password, CancellationToken cancellationToken = default) =>
        password.Length is 0 or > StaffLoginOptions.MaxPasswordLength
            ? throw new ArgumentException($"A staff password has 1 to {StaffLoginOptions.MaxPasswordLength} characters.")
            : ChangeAsync(name, a => { a.PasswordHash = Secrets.HashPassword(password); a.IsDemo = false; }, cancellationToken);

    public Task<bool> ChangeRoleAsync(string name, StaffRole role, CancellationToken cancellationToken = default) =>
        ChangeAsync(name, a => a.Role = role, cancellationToken);

    public Task<bool> SetDisabledAsync(string name, bool disabled, CancellationToken cancellationToken = default) =>
        ChangeAsync(name, a => a.Disabled = disabled, cancellationToken);

    /// <summary>Gives the account a new API token, returned once; the old one stops working.</summary>
    public async Task<string?> NewTokenAsync(string name, CancellationToken cancellationToken = default)
    {
        var token = Secrets.NewToken();
        return await ChangeAsync(name, a => { a.TokenHash = Secrets.Sha256(token); a.IsDemo = false; }, cancellationToken) ? token : null;
    }

    /// <summary>A new stamp: staff sessions made under the old one are no longer valid.</summary>
    public static string NewStamp() => Secrets.NewSessionId();

    /// <returns>False when there is no such account.</returns>
    private async Task<bool> ChangeAsync(string name, Action<StaffAccount> change, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var account = await db.Staff.FirstOrDefaultAsync(s => s.Name == name, cancellationToken);
        if (account is null) return false;
        change(account);
        account.Stamp = NewStamp();
        await db.SaveChangesAsync(cancellationToken);
        await sessions.EndAllAsync(db, account.Id, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The wiki a server key belongs to, or null.</summary>
    public Task<Wiki?> VerifyWikiKeyAsync(string key, CancellationToken cancellationToken = default) =>
        farm.FindByKeyHashAsync(Secrets.Sha256(key), cancellationToken);
}
