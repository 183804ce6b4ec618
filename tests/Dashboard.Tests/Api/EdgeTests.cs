using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Api;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The tester's findings at the HTTP edge, each as it was reported.</summary>
public sealed class EdgeTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly object Browser = new { ip = "203.0.113.9", userAgent = "Mozilla/5.0 Firefox/140.0", secure = true };

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(string Id, int Version)> LoginAsync(string wiki, string user)
    {
        var login = await app.Wiki(wiki).PostAsJsonAsync($"/api/v1/wikis/{wiki}/login", new { user, provider = "cookie", client = Browser });
        login.EnsureSuccessStatusCode();
        var id = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetProperty("id").GetString()!;
        var data = await app.Wiki(wiki).GetFromJsonAsync<JsonElement>($"/api/v1/wikis/{wiki}/sessions/{id}/data");
        return (id, data.GetProperty("version").GetInt32());
    }

    [Theory]
    [InlineData("""{"a":"\ud800"}""")]
    [InlineData("""{"a":["ok","\udc00"]}""")]
    [InlineData("""{"\ud800":1}""")]
    [InlineData("""{"a":{"b":"x\ud800y"}}""")]
    public async Task Session_data_with_a_lone_surrogate_is_refused_and_the_data_stays_readable(string data)
    {
        var (id, version) = await LoginAsync("enwiki", "Sandbox Alice");
        var put = await app.Wiki("enwiki").PutAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", Json($$"""{"expectedVersion":{{version}},"data":{{data}}}"""));

        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Contains("lone surrogate", await put.Content.ReadAsStringAsync());
        var get = await app.Wiki("enwiki").GetAsync($"/api/v1/wikis/enwiki/sessions/{id}/data");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(version, (await get.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task Session_data_nested_past_the_limit_is_refused()
    {
        var (id, version) = await LoginAsync("enwiki", "Sandbox Bob");
        var deep = new string('[', 40) + new string(']', 40);
        var put = await app.Wiki("enwiki").PutAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", Json("{\"expectedVersion\":" + version + ",\"data\":{\"a\":" + deep + "}}"));
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
    }

    [Theory]
    [InlineData("appId", InputLimits.AppId, "botpassword")]
    [InlineData("consumer", InputLimits.Consumer, "oauth")]
    public async Task Over_long_app_ids_and_consumers_are_refused_at_the_edge_and_refusals_send_small_notices(string field, int limit, string provider)
    {
        var feed = app.Services.GetRequiredService<SessionFeed>();
        var notices = new List<SessionNotice>();
        using var _ = feed.Subscribe(n => { lock (notices) notices.Add(n); });

        var huge = await app.Wiki("enwiki").PostAsync("/api/v1/wikis/enwiki/login",
            Json(JsonSerializer.Serialize(new Dictionary<string, object> { ["user"] = "Sandbox Alice", ["provider"] = provider, [field] = new string('x', 500_000) })));
        var atLimit = await app.Wiki("enwiki").PostAsync("/api/v1/wikis/enwiki/login",
            Json(JsonSerializer.Serialize(new Dictionary<string, object> { ["user"] = "Sandbox Alice", ["provider"] = provider, [field] = new string('y', limit) })));

        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        Assert.Contains($"longer than {limit}", await huge.Content.ReadAsStringAsync());
        Assert.True((await huge.Content.ReadAsStringAsync()).Length < 1000);
        Assert.Equal(HttpStatusCode.Forbidden, atLimit.StatusCode); // no such bot password or grant: a refused login
        lock (notices)
        {
            var refused = Assert.Single(notices, n => n.Kind == Core.Domain.SessionEventKind.Refused);
            Assert.True(JsonSerializer.Serialize(refused).Length < 1000);
        }
    }

    [Theory]
    [InlineData("/api/v1/admin/sessions?page=2147483647")]
    [InlineData("/api/v1/admin/sessions?page=0")]
    [InlineData("/api/v1/admin/sessions?pageSize=100000")]
    [InlineData("/api/v1/admin/sessions?page=99999999999")]
    [InlineData("/api/v1/admin/audit?page=2147483647")]
    [InlineData("/api/v1/admin/users/Sandbox%20Alice/history?page=2147483647&pageSize=500")]
    [InlineData("/api/v1/admin/sessions?ip=1.2.3/24")]
    [InlineData("/api/v1/admin/sessions?ip=::ffff:203.0.113.0/24")]
    [InlineData("/api/v1/admin/sessions?ip=203.0.113.0/33")]
    [InlineData("/api/v1/admin/sessions?ip=1.2.3.4%27%20OR%201=1")]
    [InlineData("/api/v1/admin/sessions?page=1&page=2")]
    [InlineData("/api/v1/admin/users?prefix=%00")]
    public async Task Paging_and_ip_filters_past_the_rules_are_a_400_in_words(string path)
    {
        var response = await app.Staff("developer").GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString()));
    }

    [Theory]
    [InlineData("/api/v1/admin/sessions?ip=::ffff:203.0.113.0/120")]
    [InlineData("/api/v1/admin/sessions?ip=203.0.113.0/24")]
    [InlineData("/api/v1/admin/sessions?ip=2001:db8::/32")]
    [InlineData("/api/v1/admin/sessions?page=1000000&pageSize=500")]
    public async Task Good_filters_and_the_last_page_answer(string path) =>
        Assert.Equal(HttpStatusCode.OK, (await app.Staff("developer").GetAsync(path)).StatusCode);

    [Theory]
    [InlineData("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")]
    [InlineData("\t=1+1", "\"'\t=1+1\"")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("  @SUM(A1)", "'  @SUM(A1)")]
    [InlineData("\uFF1D1+1", "'\uFF1D1+1")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("+2", "'+2")]
    [InlineData("Mozilla/5.0, like Gecko", "\"Mozilla/5.0, like Gecko\"")]
    [InlineData("Firefox", "Firefox")]
    public void Csv_fields_that_a_spreadsheet_would_run_are_defused(string value, string expected) =>
        Assert.Equal(expected, AdminApi.Csv(value));

    [Fact]
    public async Task Every_response_carries_the_security_headers()
    {
        foreach (var path in new[] { "/login", "/api/v1/admin/wikis", "/health/live" })
        {
            var response = await app.CreateClient().GetAsync(path);
            var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("default-src 'self'", csp);
            Assert.Contains("script-src 'self' 'nonce-", csp);
            Assert.Contains("frame-ancestors 'none'", csp);
            Assert.Contains("connect-src 'self'", csp);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        }
    }

    [Fact]
    public async Task Readiness_is_unhealthy_while_the_store_takes_no_writes()
    {
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);

        var path = new SqliteConnectionStringBuilder(app.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["ConnectionStrings:Sessions"]).DataSource;
        await using (var holder = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await holder.OpenAsync();
            await using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();

            // The check gives up after its own two seconds rather than the lock's 30: well under 30 s even on a busy machine.
            var started = DateTime.UtcNow;
            var blocked = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, blocked.StatusCode);
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(25), $"Readiness took {DateTime.UtcNow - started} to answer while the store was locked");
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

            begin.CommandText = "ROLLBACK;";
            await begin.ExecuteNonQueryAsync();
        }
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }
}
