using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Api;

namespace WikiSessions.Dashboard.Farm;

/// <summary>An answer of the API: the status, the body when it succeeded, the problem title when it did not.</summary>
public sealed record ApiReply<T>(HttpStatusCode Status, T? Value, string? Title)
{
    public bool Succeeded => (int)Status is >= 200 and < 300 && Value is not null;
}

/// <summary>How many answers of each status a run of traffic got.</summary>
public sealed class StatusTally
{
    private readonly ConcurrentDictionary<int, int> _counts = new();

    public void Add(HttpStatusCode status) => _counts.AddOrUpdate((int)status, 1, (_, n) => n + 1);

    public int this[HttpStatusCode status] => _counts.GetValueOrDefault((int)status);

    public int Total => _counts.Values.Sum();

    /// <summary>Answers that are neither a success nor one of <paramref name="expected"/>.</summary>
    public int Unexpected(params HttpStatusCode[] expected) =>
        _counts.Where(c => c.Key >= 400 && !expected.Contains((HttpStatusCode)c.Key)).Sum(c => c.Value);

    public IReadOnlyDictionary<string, int> Snapshot() => _counts.OrderBy(c => c.Key).ToDictionary(c => c.Key.ToString(), c => c.Value);
}

/// <summary>
/// The session service's HTTP API as a wiki server (with the wiki's key) or a staff script (with a staff token) calls
/// it, over a real socket. The request and response shapes are the API's own.
/// </summary>
public sealed class FarmApi(HttpClient http, FarmCatalog catalog, StatusTally tally)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public FarmCatalog Catalog => catalog;

    /// <summary>Every answer this client got, by status.</summary>
    public StatusTally Tally => tally;

    public Task<ApiReply<LoginResult>> LoginAsync(string wiki, LoginBody body, CancellationToken cancellationToken) =>
        SendAsync<LoginResult>(HttpMethod.Post, $"/api/v1/wikis/{wiki}/login", catalog.WikiKey(wiki), body, cancellationToken);

    public Task<ApiReply<ResolveResult>> ResolveAsync(string wiki, ResolveBody body, CancellationToken cancellationToken) =>
        SendAsync<ResolveResult>(HttpMethod.Post, $"/api/v1/wikis/{wiki}/resolve", catalog.WikiKey(wiki), body, cancellationToken);

    public Task<ApiReply<LogoutResponse>> LogoutAsync(string wiki, LogoutBody body, CancellationToken cancellationToken) =>
        SendAsync<LogoutResponse>(HttpMethod.Post, $"/api/v1/wikis/{wiki}/logout", catalog.WikiKey(wiki), body, cancellationToken);

    public Task<ApiReply<DataResponse>> GetDataAsync(string wiki, string sessionId, CancellationToken cancellationToken) =>
        SendAsync<DataResponse>(HttpMethod.Get, $"/api/v1/wikis/{wiki}/sessions/{sessionId}/data", catalog.WikiKey(wiki), null, cancellationToken);

    public Task<ApiReply<VersionResponse>> PutDataAsync(string wiki, string sessionId, int expectedVersion, JsonElement data, CancellationToken cancellationToken) =>
        SendAsync<VersionResponse>(HttpMethod.Put, $"/api/v1/wikis/{wiki}/sessions/{sessionId}/data", catalog.WikiKey(wiki),
            new DataBody(expectedVersion, data), cancellationToken);

    public async Task<ApiReply<T>> SendAsync<T>(HttpMethod method, string path, string token, object? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        using var response = await http.SendAsync(request, cancellationToken);
        tally.Add(response.StatusCode);
        if (response.IsSuccessStatusCode)
            return new ApiReply<T>(response.StatusCode, await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken), null);
        return new ApiReply<T>(response.StatusCode, default, await TitleAsync(response, cancellationToken));
    }

    private static async Task<string?> TitleAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            return problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("title", out var title) ? title.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
