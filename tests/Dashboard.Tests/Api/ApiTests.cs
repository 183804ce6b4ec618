using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard.Tests.Api;

public sealed class ApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly object Browser = new { ip = "203.0.113.7", userAgent = "Mozilla/5.0 Firefox/140.0", secure = true };

    private async Task<int> SessionCountAsync()
    {
        await using var db = app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContext();
        return await db.Sessions.CountAsync();
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static Dictionary<string, string> Cookies(JsonElement setCookies, string host) =>
        setCookies.EnumerateArray().Where(c => c.GetProperty("host").GetString() == host && c.GetProperty("value").GetString() != "")
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!);

    [Fact]
    public async Task A_wiki_server_logs_in_resolves_writes_data_and_logs_out_over_http()
    {
        var enwiki = app.Wiki("enwiki");
        var login = await JsonAsync(await enwiki.PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Sandbox Alice", provider = "cookie", client = Browser, cookies = new Dictionary<string, string>() }));
        var id = login.GetProperty("session").GetProperty("id").GetString()!;
        var cookies = Cookies(login.GetProperty("setCookies"), "en.wikipedia.org");
        var central = Cookies(login.GetProperty("setCookies"), "login.wikimedia.org");

        var resolved = await JsonAsync(await enwiki.PostAsJsonAsync("/api/v1/wikis/enwiki/resolve", new { cookies, client = Browser }));
        Assert.Equal(id, resolved.GetProperty("session").GetProperty("id").GetString());

        var data = await JsonAsync(await enwiki.GetAsync($"/api/v1/wikis/enwiki/sessions/{id}/data"));
        var version = data.GetProperty("version").GetInt32();
        var written = await JsonAsync(await enwiki.PutAsJsonAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", new { expectedVersion = version, data = new { editCount = 3 } }));
        Assert.Equal(version + 1, written.GetProperty("version").GetInt32());
        var stale = await enwiki.PutAsJsonAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", new { expectedVersion = version, data = new { editCount = 4 } });
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Equal(version + 1, (await stale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("currentVersion").GetInt32());

        var logout = await JsonAsync(await enwiki.PostAsJsonAsync("/api/v1/wikis/enwiki/logout", new { cookies, centralCookies = central, client = Browser }));
        Assert.Equal("complete", logout.GetProperty("outcome").GetString());
        var after = await JsonAsync(await enwiki.PostAsJsonAsync("/api/v1/wikis/enwiki/resolve", new { cookies, centralCookies = central, client = Browser }));
        Assert.Equal(JsonValueKind.Null, after.GetProperty("session").ValueKind);
        Assert.False(string.IsNullOrEmpty(after.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task A_wiki_key_works_only_on_its_own_wiki_and_a_missing_key_is_401()
    {
        var body = new { user = "Sandbox Bob", provider = "cookie", client = Browser };
        var before = await SessionCountAsync();

        var otherWiki = await app.Wiki("dewiki").PostAsJsonAsync("/api/v1/wikis/enwiki/login", body);
        var noKey = await app.CreateClient().PostAsJsonAsync("/api/v1/wikis/enwiki/login", body);
        var wrongKey = await app.WithBearer(new string('a', 64)).PostAsJsonAsync("/api/v1/wikis/enwiki/login", body);
        var staffToken = await app.Staff("steward").PostAsJsonAsync("/api/v1/wikis/enwiki/login", body);
        var unknownWiki = await app.Wiki("enwiki").PostAsJsonAsync("/api/v1/wikis/nosuchwiki/login", body);

        Assert.Equal(HttpStatusCode.Forbidden, otherWiki.StatusCode);
        Assert.Contains("another wiki", (await Problem(otherWiki)).Title);
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, staffToken.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownWiki.StatusCode);
        Assert.Equal(before, await SessionCountAsync());
    }

    public static TheoryData<string, string, string> BadWikiRequests => new()
    {
        { "POST", "/api/v1/wikis/enwiki/login", "{not json" },
        { "POST", "/api/v1/wikis/enwiki/login", """{"user": 42, "provider": "cookie"}""" },
        { "POST", "/api/v1/wikis/enwiki/login", """{"user": "Sandbox Alice"}""" },
        { "POST", "/api/v1/wikis/enwiki/login", """{"user": "Sandbox Alice", "provider": "kerberos"}""" },
        { "POST", "/api/v1/wikis/enwiki/login", """{"user": "Sandbox Alice", "provider": "cookie", "remember": "yes"}""" },
        { "POST", "/api/v1/wikis/enwiki/login", """{"user": "Sandbox Alice", "provider": "cookie", "client": {"ip": "not-an-ip"}}""" },
        { "POST", "/api/v1/wikis/enwiki/login", """{"user": "Sandbox Alice", "provider": "botpassword"}""" },
        { "POST", "/api/v1/wikis/enwiki/resolve", "[]" },
        { "POST", "/api/v1/wikis/enwiki/resolve", """{"cookies": {"enwiki_session": 5}}""" },
        { "POST", "/api/v1/wikis/enwiki/resolve", """{"cookies": {"enwiki_session": "OVERLONG"}}""" },
        { "POST", "/api/v1/wikis/enwiki/logout", """{"scope": "everywhere"}""" },
        { "POST", "/api/v1/wikis/enwiki/logout", "" },
        { "GET", "/api/v1/wikis/enwiki/sessions/not-hex/data", "" },
        { "PUT", "/api/v1/wikis/enwiki/sessions/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz/data", """{"expectedVersion": 1, "data": {}}""" },
        { "PUT", "/api/v1/wikis/enwiki/sessions/0123456789abcdef0123456789abcdef/data", """{"data": {}}""" },
        { "PUT", "/api/v1/wikis/enwiki/sessions/0123456789abcdef0123456789abcdef/data", """{"expectedVersion": 1, "data": [1]}""" },
    };

    [Theory]
    [MemberData(nameof(BadWikiRequests))]
    public async Task Malformed_wiki_requests_get_a_400_problem_with_a_title_and_change_nothing(string method, string path, string body)
    {
        body = body.Replace("OVERLONG", new string('a', 5000));
        var before = await SessionCountAsync();

        var response = await app.Wiki("enwiki").SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrWhiteSpace((await Problem(response)).Title));
        Assert.Equal(before, await SessionCountAsync());
    }

    [Fact]
    public async Task Unknown_users_and_sessions_are_404_and_a_prevented_user_is_403()
    {
        var enwiki = app.Wiki("enwiki");

        var user = await enwiki.PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Nobody Here", provider = "cookie" });
        var data = await enwiki.GetAsync($"/api/v1/wikis/enwiki/sessions/{new string('0', 32)}/data");
        var admin = await app.Staff("support").GetAsync("/api/v1/admin/users/Nobody%20Here");
        var grant = await enwiki.PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Sandbox Alice", provider = "oauth", consumer = "Huggle" });

        Assert.Equal(HttpStatusCode.NotFound, user.StatusCode);
        Assert.Contains("Nobody Here", (await Problem(user)).Title);
        Assert.Equal(HttpStatusCode.NotFound, data.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, admin.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, grant.StatusCode);
        Assert.Contains("no OAuth grant", (await Problem(grant)).Title);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_contract_routes()
    {
        var doc = await JsonAsync(await app.CreateClient().GetAsync("/openapi/v1.json"));
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();

        foreach (var route in new[]
        {
            "/api/v1/wikis/{wiki}/login", "/api/v1/wikis/{wiki}/resolve", "/api/v1/wikis/{wiki}/logout", "/api/v1/wikis/{wiki}/sessions/{id}/data",
            "/api/v1/admin/wikis", "/api/v1/admin/users/{user}", "/api/v1/admin/users/{user}/history", "/api/v1/admin/sessions",
            "/api/v1/admin/logout-traces/{traceId}", "/api/v1/admin/sessions/{handle}/metadata-diffs", "/api/v1/admin/sessions/{handle}/revoke",
            "/api/v1/admin/users/{name}/invalidate", "/api/v1/admin/users/{name}/prevent", "/api/v1/admin/invalidate-all", "/api/v1/admin/audit",
            "/api/v1/admin/users/{name}/lock", "/api/v1/admin/users/{name}/unlock",
        })
        {
            Assert.Contains(route, paths);
        }
    }

    [Fact]
    public async Task Admin_routes_name_sessions_by_handle_and_never_show_an_id()
    {
        var login = await JsonAsync(await app.Wiki("frwiki").PostAsJsonAsync("/api/v1/wikis/frwiki/login", new { user = "Sandbox Carol", provider = "cookie", client = Browser }));
        var id = login.GetProperty("session").GetProperty("id").GetString()!;
        var centralId = login.GetProperty("centralSessionId").GetString()!;

        var user = await app.Staff("developer").GetStringAsync("/api/v1/admin/users/Sandbox%20Carol");
        var page = await app.Staff("developer").GetStringAsync("/api/v1/admin/sessions?user=Sandbox%20Carol&active=true");
        var csv = await app.Staff("developer").GetStringAsync("/api/v1/admin/sessions.csv?user=Sandbox%20Carol");

        foreach (var text in new[] { user, page, csv })
        {
            Assert.DoesNotContain(id, text);
            Assert.DoesNotContain(centralId, text);
        }
        var session = JsonDocument.Parse(user).RootElement.GetProperty("activeSessions").EnumerateArray().Single(s => s.GetProperty("wiki").GetString() == "frwiki");
        Assert.Matches("^[0-9a-f]{16}$", session.GetProperty("handle").GetString());
        Assert.Matches("^[0-9a-f]{16}$", session.GetProperty("centralSessionHandle").GetString());
        Assert.Equal(2, csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static async Task<(string? Title, int? Status)> ProblemCore(HttpResponseMessage response)
    {
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (problem.GetProperty("title").GetString(), problem.TryGetProperty("status", out var s) ? s.GetInt32() : null);
    }

    private static async Task<(string Title, int? Status)> Problem(HttpResponseMessage response)
    {
        var (title, status) = await ProblemCore(response);
        return (title ?? "", status);
    }
}
