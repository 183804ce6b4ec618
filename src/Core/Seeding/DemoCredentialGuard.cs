using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Seeding;

/// <summary>The demo credentials are public (they are in the repository): Production must not run on them.</summary>
public static class DemoCredentialGuard
{
    public const string RotateCommand = "dotnet run --project src/Dashboard -- rotate-credentials <file outside the repository>";

    /// <summary>Throws, saying how to replace them, while any staff account or wiki key is still a demo one.</summary>
    public static async Task RefuseDemoCredentialsAsync(IDbContextFactory<SessionsDb> dbFactory, string seedFolder, CancellationToken cancellationToken = default)
    {
        var demoKeyHashes = DemoCredentials.Read(seedFolder).WikiKeys.Values.Select(Secrets.Sha256).ToHashSet();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var demoStaff = await db.Staff.Where(s => s.IsDemo).Select(s => s.Name).ToListAsync(cancellationToken);
        var demoKeys = (await db.Wikis.Select(w => w.ApiKeyHash).ToListAsync(cancellationToken)).Count(demoKeyHashes.Contains);
        if (demoStaff.Count > 0 || demoKeys > 0)
        {
            throw new InvalidOperationException(
                $"The Production environment refuses to start with the demo credentials of seed-data/demo-credentials.json " +
                $"({demoStaff.Count} staff accounts, {demoKeys} wiki keys). Run `{RotateCommand}` to replace every one with a new secret " +
                "written only to that file, hand the wiki keys to the wiki servers, then start again.");
        }
    }

    /// <summary>Replaces every wiki key and staff password and token with new random secrets, and returns them (the store keeps only hashes).</summary>
    public static async Task<DemoCredentials> RotateAsync(IDbContextFactory<SessionsDb> dbFactory, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
        var keys = new Dictionary<string, string>();
        foreach (var wiki in await db.Wikis.ToListAsync(cancellationToken))
        {
            keys[wiki.DbName] = Secrets.NewToken();
            wiki.ApiKeyHash = Secrets.Sha256(keys[wiki.DbName]);
        }
        var staff = new List<DemoStaff>();
        foreach (var account in await db.Staff.ToListAsync(cancellationToken))
        {
            var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
            var token = Secrets.NewToken();
            account.PasswordHash = Secrets.HashPassword(password);
            account.TokenHash = Secrets.Sha256(token);
            account.IsDemo = false;
            account.Stamp = Admin.StaffDirectory.NewStamp();
            staff.Add(new DemoStaff(account.Name, password, account.Role.ToString().ToLowerInvariant(), token));
        }
        await db.SaveChangesAsync(cancellationToken);
        // The new stamps already invalidate every dashboard login; this records that they ended.
        await db.StaffSessions.Where(s => s.EndedAt == null).ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, DateTimeOffset.UtcNow), cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return new DemoCredentials(keys, staff, []);
    }
}
