using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>Adds wikis the seed data does not know, such as the MediaWiki wikis of a farm that keeps its sessions here.</summary>
public sealed class WikiRegistry(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm)
{
    /// <summary>Registers the wiki and returns its new key: shown once, only its hash is kept.</summary>
    public async Task<string> AddAsync(string dbName, string host, string group, CancellationToken cancellationToken = default)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(dbName, "^[a-z0-9_]{1,64}$"))
            throw new SessionException(Failure.Invalid, "A wiki's dbname is 1 to 64 lowercase letters, digits or underscores, as MediaWiki's $wgDBname.");
        if (host.Length is 0 or > 253 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            throw new SessionException(Failure.Invalid, $"'{host}' is not a host name.");
        if (!WireNames.TryParse<DeploymentGroup>(group, out var deploymentGroup))
            throw new SessionException(Failure.Invalid, $"'{group}' is not a deployment group; use group0, group1 or group2.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Wikis.AnyAsync(w => w.DbName == dbName, cancellationToken))
            throw new SessionException(Failure.Conflict, $"{dbName} is already a wiki of the farm; rotate-credentials gives every wiki a new key.");
        var key = Secrets.NewToken();
        db.Wikis.Add(new Wiki { DbName = dbName, Host = host, Group = deploymentGroup, Status = WikiStatus.Open, Weight = 1, ApiKeyHash = Secrets.Sha256(key) });
        await db.SaveChangesAsync(cancellationToken);
        farm.Reload();
        return key;
    }
}
