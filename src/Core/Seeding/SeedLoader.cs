using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Seeding;

/// <summary>The shape of <c>seed-data/demo-credentials.json</c>.</summary>
public sealed record DemoCredentials(Dictionary<string, string> WikiKeys, List<DemoStaff> Staff, List<string> SandboxUsers)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static DemoCredentials Read(string seedFolder) =>
        JsonSerializer.Deserialize<DemoCredentials>(File.ReadAllText(Path.Combine(seedFolder, "demo-credentials.json")), Json)
        ?? throw new InvalidDataException("seed-data/demo-credentials.json is empty.");
}

public sealed record DemoStaff(string Name, string Password, string Role, string Token);

/// <summary>Loads <c>seed-data/</c> into an empty store: the farm, users, grants, keys and staff. Idempotent.</summary>
public static class SeedLoader
{
    public const string CentralWiki = "loginwiki";

    /// <summary>Default provider priorities: OAuth over bot passwords over cookies, as on the farm.</summary>
    public static readonly IReadOnlyList<ProviderSetting> DefaultProviders =
    [
        new() { Provider = ProviderKind.Cookie, Priority = 40, PersistsSessionId = true, CanChangeUser = true },
        new() { Provider = ProviderKind.BotPassword, Priority = 50, PersistsSessionId = true, CanChangeUser = false },
        new() { Provider = ProviderKind.OAuth, Priority = 60, PersistsSessionId = false, CanChangeUser = false },
    ];

    /// <returns>True when the store was empty and has been seeded.</returns>
    public static async Task<bool> SeedAsync(SessionsDb db, string seedFolder, TimeProvider time, ILogger logger, CancellationToken cancellationToken = default)
    {
        if (await db.Wikis.AnyAsync(cancellationToken)) return false;
        var now = time.GetUtcNow();
        var credentials = DemoCredentials.Read(seedFolder);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);

        var wikis = Rows(seedFolder, "wikis.tsv").Select(r => new Wiki
        {
            DbName = r[0], Host = r[1], Group = Enum.Parse<DeploymentGroup>(r[2], ignoreCase: true),
            Status = Enum.Parse<WikiStatus>(r[3], ignoreCase: true), Weight = int.Parse(r[4]), IsCentral = r[0] == CentralWiki,
            ApiKeyHash = Secrets.Sha256(credentials.WikiKeys.TryGetValue(r[0], out var key) ? key : Secrets.NewToken()),
        }).ToList();
        db.Wikis.AddRange(wikis);
        db.ProviderSettings.AddRange(DefaultProviders.Select(p => new ProviderSetting
        {
            Provider = p.Provider, Priority = p.Priority, PersistsSessionId = p.PersistsSessionId, CanChangeUser = p.CanChangeUser,
        }));
        db.Farm.Add(new FarmState());
        await db.SaveChangesAsync(cancellationToken);
        var wikiIds = wikis.ToDictionary(w => w.DbName, w => w.Id);

        var userRows = Rows(seedFolder, "users.tsv").ToList();
        var users = userRows.Select(r => new GlobalUser { Name = r[0], Token = Secrets.NewToken(), CreatedAt = now }).ToList();
        db.Users.AddRange(users);
        await db.SaveChangesAsync(cancellationToken);
        var userIds = users.ToDictionary(u => u.Name, u => u.Id);
        foreach (var r in userRows)
        {
            db.Attachments.AddRange(r[2].Split(',').Distinct().Select(w => new UserAttachment
            {
                UserId = userIds[r[0]], WikiId = wikiIds[w], AttachedAt = now,
            }));
        }

        var consumers = Rows(seedFolder, "oauth-consumers.tsv").Select(r => new OAuthConsumer { Name = r[0], Grants = r[1], Description = r[2] }).ToList();
        db.OAuthConsumers.AddRange(consumers);
        await db.SaveChangesAsync(cancellationToken);
        var consumerIds = consumers.ToDictionary(c => c.Name, c => c.Id);
        db.OAuthGrants.AddRange(Rows(seedFolder, "oauth-grants.tsv").Select(r => new OAuthGrant
        {
            UserId = userIds[r[0]], ConsumerId = consumerIds[r[1]], Grants = r[2], CreatedAt = now,
        }));
        db.BotPasswords.AddRange(Rows(seedFolder, "bot-passwords.tsv").Select(r => new BotPassword
        {
            UserId = userIds[r[0]], AppId = r[1], Grants = r[2], CreatedAt = now,
        }));
        db.Staff.AddRange(credentials.Staff.Select(s => new StaffAccount
        {
            Name = s.Name, Role = Enum.Parse<StaffRole>(s.Role, ignoreCase: true),
            PasswordHash = Secrets.HashPassword(s.Password), TokenHash = Secrets.Sha256(s.Token), IsDemo = true, Stamp = Admin.StaffDirectory.NewStamp(),
        }));
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);

        logger.LogInformation("Seeded {Wikis} wikis, {Users} users, {Consumers} OAuth consumers and {Staff} staff accounts from {Folder}",
            wikis.Count, users.Count, consumers.Count, credentials.Staff.Count, seedFolder);
        return true;
    }

    /// <summary>The rows of a tab-separated seed file, without its <c>#</c> header.</summary>
    private static IEnumerable<string[]> Rows(string folder, string file) =>
        File.ReadLines(Path.Combine(folder, file))
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'));

    /// <summary>Finds <c>seed-data/</c> from the working directory or the app's folder upwards.</summary>
    public static string FindSeedFolder(string? configured, params string[] startFolders)
    {
        if (!string.IsNullOrEmpty(configured))
            return Directory.Exists(configured) ? configured : throw new DirectoryNotFoundException($"Seed:Folder is set to '{configured}', which does not exist.");
        foreach (var start in startFolders)
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "seed-data");
                if (File.Exists(Path.Combine(candidate, "wikis.tsv"))) return candidate;
            }
        }
        throw new DirectoryNotFoundException("Could not find the seed-data folder; set Seed:Folder to its path.");
    }
}
