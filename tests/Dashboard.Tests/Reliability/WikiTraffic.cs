using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>A wiki server's calls to the API over real HTTP, for tests that keep a ledger of what was acknowledged.</summary>
public sealed class WikiTraffic(HttpClient http, string wiki)
{
    private const string CentralHost = "login.wikimedia.org";
    private static readonly object Browser = new { ip = "203.0.113.77", userAgent = "reliability-test", secure = true };

    public string Wiki => wiki;

    public static WikiTraffic For(Uri address, string wiki)
    {
        var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new("Bearer", LoopbackAppFactory.WikiKey(wiki));
        return new WikiTraffic(http, wiki);
    }

    /// <summary>A login: the session, its cookies for the wiki host and for the central host; or the status when refused.</summary>
    public async Task<(HttpStatusCode Status, LoggedIn? Session, JsonElement Body)> LoginAsync(string user, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/wikis/{wiki}/login", new { user, provider = "cookie", client = Browser }, cancellationToken);
        var body = await BodyAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode) return (response.StatusCode, null, body);
        var cookies = body.GetProperty("setCookies").EnumerateArray().Where(c => c.GetProperty("value").GetString() != "").ToList();
        return (response.StatusCode, new LoggedIn(
            body.GetProperty("session").GetProperty("id").GetString()!,
            cookies.Where(c => c.GetProperty("host").GetString() != CentralHost).ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!),
            cookies.Where(c => c.GetProperty("host").GetString() == CentralHost).ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!)), body);
    }

    /// <summary>Resolve with the session's own cookies: the ID of the session it belongs to, or null.</summary>
    public async Task<(HttpStatusCode Status, string? SessionId, JsonElement Body)> ResolveAsync(LoggedIn session, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/wikis/{wiki}/resolve", new { cookies = session.Cookies, client = Browser }, cancellationToken);
        var body = await BodyAsync(response, cancellationToken);
        var id = response.IsSuccessStatusCode && body.GetProperty("session").ValueKind == JsonValueKind.Object
            ? body.GetProperty("session").GetProperty("id").GetString() : null;
        return (response.StatusCode, id, body);
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> LogoutAsync(LoggedIn session, CancellationToken cancellationToken = default)
    {
        using var response = await http.PostAsJsonAsync($"/api/v1/wikis/{wiki}/logout",
            new { cookies = session.Cookies, centralCookies = session.CentralCookies, scope = "global", client = Browser }, cancellationToken);
        return (response.StatusCode, await BodyAsync(response, cancellationToken));
    }

    /// <summary>The session's data: its version and its JSON object, or the status when there is none.</summary>
    public async Task<(HttpStatusCode Status, int Version, JsonObject? Data, JsonElement Body)> GetDataAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        using var response = await http.GetAsync($"/api/v1/wikis/{wiki}/sessions/{sessionId}/data", cancellationToken);
        var body = await BodyAsync(response, cancellationToken);
        if (!response.IsSuccessStatusCode) return (response.StatusCode, 0, null, body);
        return (response.StatusCode, body.GetProperty("version").GetInt32(), JsonNode.Parse(body.GetProperty("data").GetRawText())!.AsObject(), body);
    }

    /// <summary>A compare-and-swap write: 200 with the new version, or 409 with the current one.</summary>
    public async Task<(HttpStatusCode Status, int Version, JsonElement Body)> PutDataAsync(string sessionId, int expectedVersion, JsonObject data, CancellationToken cancellationToken = default)
    {
        using var response = await http.PutAsJsonAsync($"/api/v1/wikis/{wiki}/sessions/{sessionId}/data", new { expectedVersion, data }, cancellationToken);
        var body = await BodyAsync(response, cancellationToken);
        var version = response.StatusCode switch
        {
            HttpStatusCode.OK => body.GetProperty("version").GetInt32(),
            HttpStatusCode.Conflict => body.GetProperty("currentVersion").GetInt32(),
            _ => 0,
        };
        return (response.StatusCode, version, body);
    }

    private static async Task<JsonElement> BodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }
}

/// <summary>What a login handed the wiki server: the session ID and the cookies to send back.</summary>
public sealed record LoggedIn(string Id, Dictionary<string, string> Cookies, Dictionary<string, string> CentralCookies);
