using Microsoft.Extensions.Configuration;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// CentralAuth's keys in the session store: <c>{prefix}:session:{id}</c> (central sessions) and
/// <c>{prefix}:{kind}-token:{token}…</c> (one-time cross-wiki tokens), where the prefix is <c>$wgCentralAuthDatabase</c>
/// (<c>MediaWiki:CentralAuth:Prefix</c>, <c>centralauth</c> by default). Every wiki of a CentralAuth farm reads and writes
/// them with its own key, so they are the farm's, not one wiki's: any wiki key of the farm may touch them, and each
/// value records the wiki that last wrote it. A wiki without CentralAuth is confined to its own keys by
/// <c>MediaWiki:Wikis:{dbname}:OwnKeysOnly</c>.
/// </summary>
public sealed class CentralAuthKeys(IConfiguration configuration)
{
    /// <summary>The kind of a central session's value.</summary>
    public const string SessionKind = "CentralAuthSession";
    /// <summary>The kind of a one-time token's value: stored and served, never a session.</summary>
    public const string TokenKind = "CentralAuthToken";
    /// <summary>Any other key of CentralAuth's (e.g. the API token blacklist).</summary>
    public const string OtherKind = "CentralAuth";

    public string Prefix => configuration["MediaWiki:CentralAuth:Prefix"] is { Length: > 0 } p ? p : "centralauth";

    public bool Confined(string dbName) => configuration.GetValue<bool>($"MediaWiki:Wikis:{dbName}:OwnKeysOnly");

    /// <summary>The kind of a farm-wide key, or null when <paramref name="parts"/> (the key split at ':') is not one.</summary>
    public string? Kind(string[] parts) =>
        parts.Length < 3 || parts[0] != Prefix ? null
        : parts[1] == "session" ? SessionKind
        : parts[1].EndsWith("-token", StringComparison.Ordinal) ? TokenKind
        : OtherKind;

    /// <summary>The hash of a farm-wide key: the same whichever wiki's key calls, and never one of a wiki's own keys.</summary>
    public static string Hash(string key) => Secrets.Sha256($"farm|{key}");

    /// <summary>Refuses a farm-wide key to a wiki confined to its own keys.</summary>
    /// <exception cref="SessionException">Forbidden (403), naming the setting.</exception>
    public void CheckAllowed(Wiki wiki)
    {
        if (Confined(wiki.DbName))
            throw new SessionException(Failure.Forbidden,
                $"{Prefix}: keys are CentralAuth's, shared by the farm, and {wiki.DbName} is confined to its own keys (MediaWiki:Wikis:{wiki.DbName}:OwnKeysOnly).");
    }
}
