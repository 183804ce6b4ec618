using System.Text;
using System.Text.Json;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// The <c>metadata</c> of a session MediaWiki writes (<c>JSON.{hmac}.{json}</c> with <c>serialization_type</c> JSON).
/// The <c>data</c> beside it holds the session's secrets and is never read.
/// </summary>
public sealed record MediaWikiMetadata(
    string? ProviderClass, int? UserId, string? UserName, string? UserToken, bool Remember, bool ForceHttps,
    DateTimeOffset? Expires, long LoggedOut, bool Persisted)
{
    public bool LoggedIn => UserId is > 0 && !string.IsNullOrEmpty(UserName);

    /// <summary>MediaWiki's provider class as one of the console's kinds; the class itself is kept in the metadata.</summary>
    public ProviderKind Provider => ProviderClass switch
    {
        { } c when c.EndsWith("BotPasswordSessionProvider", StringComparison.Ordinal) => ProviderKind.BotPassword,
        { } c when c.Contains("OAuth", StringComparison.Ordinal) => ProviderKind.OAuth,
        _ => ProviderKind.Cookie,
    };

    /// <summary>The longest provider class or user token the store accepts; MediaWiki's are far shorter.</summary>
    public const int MaxFieldLength = 256;

    /// <summary>The metadata of a body, or null when the body is not a JSON session blob (it is then kept as opaque).</summary>
    /// <exception cref="Sessions.SessionException">
    /// Invalid when a field the console reads is not text it can keep: a lone surrogate, a control character in the user
    /// name or provider, a user name MediaWiki would not allow (the one rule of <see cref="Sessions.UserNames"/>).
    /// </exception>
    public static MediaWikiMetadata? Parse(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        if (!text.StartsWith("JSON.", StringComparison.Ordinal)) return null;
        var dot = text.IndexOf('.', "JSON.".Length);
        if (dot < 0) return null;
        try
        {
            using var doc = JsonDocument.Parse(text.AsMemory(dot + 1), new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("metadata", out var m) || m.ValueKind != JsonValueKind.Object)
                return null;
            var metadata = new MediaWikiMetadata(
                String(m, "provider"), Int(m, "userId"), String(m, "userName"), String(m, "userToken"),
                Bool(m, "remember"), Bool(m, "forceHTTPS"),
                Long(m, "expires") is { } expires and > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(expires) : null,
                Long(m, "loggedOut") ?? 0, Bool(m, "persisted"));
            if (!string.IsNullOrEmpty(metadata.UserName)) Sessions.UserNames.Check(metadata.UserName, "metadata.userName");
            Sessions.PlainText.Check(metadata.ProviderClass, "metadata.provider", MaxFieldLength);
            Sessions.PlainText.Check(metadata.UserToken, "metadata.userToken", MaxFieldLength);
            return metadata;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to turn an escaped lone surrogate (\ud800) into a string.
            throw new Sessions.SessionException(Sessions.Failure.Invalid,
                "The session's metadata holds a string that is not valid Unicode text (a lone surrogate such as \\ud800); nothing was stored.");
        }
    }

    /// <summary>
    /// What the console keeps and shows: everything but the expiry (it changes on every write) and the user token,
    /// which appears only as a keyed fingerprint so that a change shows and a resurrection can be matched.
    /// </summary>
    public Dictionary<string, string> Saved(Func<string, string> fingerprint) => new()
    {
        ["provider"] = ProviderClass ?? "(none)",
        ["userId"] = UserId?.ToString() ?? "0",
        ["userName"] = UserName ?? "",
        ["userToken"] = UserToken is { Length: > 0 } token ? fingerprint(token) : "(none)",
        ["remember"] = Remember ? "true" : "false",
        ["forceHTTPS"] = ForceHttps ? "true" : "false",
        ["loggedOut"] = LoggedOut.ToString(),
        ["persisted"] = Persisted ? "true" : "false",
    };

    private static string? String(JsonElement m, string name) =>
        m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Long(JsonElement m, string name) =>
        m.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static int? Int(JsonElement m, string name) => Long(m, name) is { } n and >= int.MinValue and <= int.MaxValue ? (int)n : null;

    private static bool Bool(JsonElement m, string name) =>
        m.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.True || v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n != 0);
}
