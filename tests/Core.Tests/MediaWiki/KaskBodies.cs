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

    public static async Task<(MediaWikiStore Store, Wiki Wiki)> StoreAsync(TestFarm farm, string wiki = "testwiki") =>
        (farm.Services.GetRequiredService<MediaWikiStore>(), (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync(wiki, default))!);
}
