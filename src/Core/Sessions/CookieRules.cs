namespace WikiSessions.Core.Sessions;

/// <summary>The cookie rules learned the hard way (T124252): ignore "deleted", never secure over plain HTTP, clear only what was sent.</summary>
public static class CookieRules
{
    /// <summary>Cookies on the central login wiki's host.</summary>
    public const string CentralSession = "centralauth_Session";
    public const string CentralUser = "centralauth_User";
    /// <summary>Not set by this service; cleared on logout when a browser still carries one from an older login system.</summary>
    public const string CentralToken = "centralauth_Token";
    public static readonly IReadOnlyList<string> CentralNames = [CentralSession, CentralUser, CentralToken];

    /// <summary>Longest cookie value the service accepts; longer ones are refused, not truncated.</summary>
    public const int MaxValueLength = 4096;

    /// <summary>The cookies that can carry a credential: a blank value or the literal <c>deleted</c> is a left-over of a deletion, never a token.</summary>
    public static IReadOnlyDictionary<string, string> Usable(IReadOnlyDictionary<string, string>? cookies) =>
        cookies is null
            ? new Dictionary<string, string>()
            : cookies.Where(c => !string.IsNullOrWhiteSpace(c.Value) && c.Value != "deleted")
                .ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);

    /// <summary>A cookie to set; <c>secure</c> only when the request itself came over TLS.</summary>
    public static SetCookie Set(string host, string name, string value, DateTimeOffset? expires, ClientInfo client) =>
        new(host, name, value, expires, client.Secure, HttpOnly: true);

    /// <summary>Blank and expire each of <paramref name="names"/> that the request actually carried.</summary>
    public static IEnumerable<SetCookie> Clear(string host, IEnumerable<string> names, IReadOnlyDictionary<string, string> carried, ClientInfo client) =>
        names.Where(carried.ContainsKey)
            .Select(name => new SetCookie(host, name, "", DateTimeOffset.UnixEpoch, client.Secure, HttpOnly: true));
}
