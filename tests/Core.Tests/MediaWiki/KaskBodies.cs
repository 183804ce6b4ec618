using System.Text;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>Values as MediaWiki 1.39 writes them to the store, and the store of a test farm's wiki.</summary>
internal static class KaskBodies
{
    /// <summary>A session value whose metadata is <paramref name="metadataJson"/>, as written (escapes and all).</summary>
    public static byte[] Raw(string metadataJson) =>
        Encoding.UTF8.GetBytes("JSON.c2lnbmF0dXJl.{\"data\":{\"wsToken\":\"secret-csrf-salt\"},\"metadata\":" + metadataJson + "}");

    public static byte[] Session(string userName, DateTimeOffset expires, string token = "0123456789abcdef0123456789abcdef", bool remember = true) =>
        Raw(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["provider"] = "MediaWiki\\Session\\CookieSessionProvider", ["userId"] = 3, ["userName"] = userName, ["userToken"] = token,
            ["remember"] = remember, ["forceHTTPS"] = false, ["expires"] = expires.ToUnixTimeSeconds(), ["loggedOut"] = 0, ["persisted"] = true,
        }));

    /// <summary>A session value as MediaWiki writes it with serialization_type PHP (and CentralAuth's fields when given).</summary>
    public static byte[] PhpSession(string? userName, DateTimeOffset expires, string token = "0123456789abcdef0123456789abcdef", bool remember = true,
        string? centralSessionId = null, string? hmacKey = null)
    {
        var data = new List<(string, string)> { ("wsToken", S("secret-csrf-salt")) };
        if (centralSessionId is not null) data.Add(("CentralAuth::centralSessionId", S(centralSessionId)));
        var metadata = new List<(string, string)>
        {
            ("provider", S(centralSessionId is null ? "MediaWiki\\Session\\CookieSessionProvider" : "CentralAuthSessionProvider")),
            ("providerMetadata", centralSessionId is null ? "N;" : Php([("CentralAuthSource", S("CentralAuth"))])),
            ("userId", userName is null ? "i:0;" : "i:3;"), ("userName", userName is null ? "N;" : S(userName)), ("userToken", userName is null ? "N;" : S(token)),
            ("remember", remember ? "b:1;" : "b:0;"), ("forceHTTPS", "b:0;"), ("expires", $"i:{expires.ToUnixTimeSeconds()};"), ("loggedOut", "i:0;"), ("persisted", "b:1;"),
        };
        return MediaWikiBlob.Sign(MediaWikiBlob.Php, hmacKey, Encoding.UTF8.GetBytes(Php([("data", Php(data)), ("metadata", Php(metadata))])));
    }

    /// <summary>PHP's serialize() of a string: its length in bytes.</summary>
    public static string S(string text) => $"s:{Encoding.UTF8.GetByteCount(text)}:\"{text}\";";

    public static string Php(List<(string Key, string Value)> entries) => $"a:{entries.Count}:{{{string.Concat(entries.Select(e => S(e.Key) + e.Value))}}}";

    public static async Task<(MediaWikiStore Store, Wiki Wiki)> StoreAsync(TestFarm farm, string wiki = "testwiki") =>
        (farm.Services.GetRequiredService<MediaWikiStore>(), (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync(wiki, default))!);
}
