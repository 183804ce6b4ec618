using System.Text;
using System.Text.Json;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// The <c>metadata</c> of a session MediaWiki writes (<c>JSON.{hmac}.{json}</c> or <c>PHP.{hmac}.{serialize()}</c>, by its
/// <c>serialization_type</c>). The <c>data</c> beside it holds the session's secrets; only CentralAuth's link to the central
/// session is read from it.
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

    /// <summary>
    /// With CentralAuth: the link from the session's <c>data</c> to its central session (<c>CentralAuth::centralSessionId</c>),
    /// the one field of <c>data</c> the console reads.
    /// </summary>
    public string? CentralSessionId { get; init; }

    /// <summary>The session's provider metadata names CentralAuth as its source (<c>CentralAuthSource</c>).</summary>
    public bool FromCentralAuth { get; init; }

    /// <summary>The metadata of a body, or null when it cannot be read (the body is then kept as opaque).</summary>
    /// <exception cref="Sessions.SessionException">
    /// Invalid when a field the console reads is not text it can keep: a lone surrogate, a control character in the user
    /// name or provider, a user name MediaWiki would not allow (the one rule of <see cref="Sessions.UserNames"/>).
    /// </exception>
    public static MediaWikiMetadata? Parse(byte[] body) => Read(body, out _);

    /// <summary>
    /// The metadata of a value of either serialization type (<c>JSON</c> or <c>PHP</c>), or null with
    /// <paramref name="unreadable"/> saying why the console cannot read it.
    /// </summary>
    /// <exception cref="Sessions.SessionException">As <see cref="Parse"/>.</exception>
    public static MediaWikiMetadata? Read(byte[] body, out string? unreadable)
    {
        if (MediaWikiBlob.Split(body, out unreadable) is not { } blob) return null;
        var metadata = blob.Type == MediaWikiBlob.Php ? FromPhp(blob.Payload.Span, out unreadable) : FromJson(blob.Payload, out unreadable);
        if (metadata is null) return null;
        if (!string.IsNullOrEmpty(metadata.UserName)) Sessions.UserNames.Check(metadata.UserName, "metadata.userName");
        Sessions.PlainText.Check(metadata.ProviderClass, "metadata.provider", MaxFieldLength);
        Sessions.PlainText.Check(metadata.UserToken, "metadata.userToken", MaxFieldLength);
        Sessions.PlainText.Check(metadata.CentralSessionId, "data.CentralAuth::centralSessionId", MaxFieldLength);
        return metadata;
    }

    private static MediaWikiMetadata? FromJson(ReadOnlyMemory<byte> payload, out string? unreadable)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 64 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("metadata", out var m) || m.ValueKind != JsonValueKind.Object)
            {
                unreadable = "the JSON value has no metadata object";
                return null;
            }
            unreadable = null;
            var data = doc.RootElement.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object ? d : default;
            return new MediaWikiMetadata(
                String(m, "provider"), Int(m, "userId"), String(m, "userName"), String(m, "userToken"),
                Bool(m, "remember"), Bool(m, "forceHTTPS"), Expiry(Long(m, "expires")), Long(m, "loggedOut") ?? 0, Bool(m, "persisted"))
            {
                CentralSessionId = data.ValueKind == JsonValueKind.Object ? String(data, CentralSessionField) : null,
                FromCentralAuth = m.TryGetProperty("providerMetadata", out var pm) && pm.ValueKind == JsonValueKind.Object
                    && String(pm, "CentralAuthSource") is { Length: > 0 },
            };
        }
        catch (JsonException e)
        {
            unreadable = $"not valid JSON (at byte {e.BytePositionInLine} of line {e.LineNumber})";
            return null;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to turn an escaped lone surrogate (\ud800) into a string.
            throw new Sessions.SessionException(Sessions.Failure.Invalid,
                "The session's metadata holds a string that is not valid Unicode text (a lone surrogate such as \\ud800); nothing was stored.");
        }
    }

    private static MediaWikiMetadata? FromPhp(ReadOnlySpan<byte> payload, out string? unreadable)
    {
        if (!PhpSerialized.TryRead(payload, out var value, out unreadable)) return null;
        if (value is not PhpArray root || root["metadata"] is not PhpArray m)
        {
            unreadable = "the PHP value has no metadata array";
            return null;
        }
        return new MediaWikiMetadata(
            PhpText(m, "provider"), PhpLong(m, "userId") is { } id and >= int.MinValue and <= int.MaxValue ? (int)id : null,
            PhpText(m, "userName"), PhpText(m, "userToken"), PhpBool(m, "remember"), PhpBool(m, "forceHTTPS"),
            Expiry(PhpLong(m, "expires")), PhpLong(m, "loggedOut") ?? 0, PhpBool(m, "persisted"))
        {
            CentralSessionId = root["data"] is PhpArray data ? PhpText(data, CentralSessionField) : null,
            FromCentralAuth = m["providerMetadata"] is PhpArray pm && PhpText(pm, "CentralAuthSource") is { Length: > 0 },
        };
    }

    private const string CentralSessionField = "CentralAuth::centralSessionId";

    private static DateTimeOffset? Expiry(long? expires) =>
        expires is { } e and > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(e) : null;

    /// <summary>A string field as text; a string that is not UTF-8 is refused as a JSON lone surrogate is.</summary>
    private static string? PhpText(PhpArray a, string name) => a[name] switch
    {
        PhpString s => s.Text ?? throw new Sessions.SessionException(Sessions.Failure.Invalid,
            $"The session's '{name}' is not valid UTF-8 text; nothing was stored."),
        long n => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => null,
    };

    private static long? PhpLong(PhpArray a, string name) => a[name] switch
    {
        long n => n,
        PhpString s when long.TryParse(s.Text, out var n) => n,
        _ => null,
    };

    private static bool PhpBool(PhpArray a, string name) => a[name] switch
    {
        bool b => b,
        long n => n != 0,
        _ => false,
    };

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
