using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The spellings docs/api-contract.md promises, now that the answers carry enums rather than strings.</summary>
public sealed class WireFormatTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string User = "Sandbox Alice";
    private static readonly object Browser = new { ip = "203.0.113.8", userAgent = "WireFormatTest/1.0", secure = true };

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private Task<JsonElement> LoginAsync(string provider, string? appId = null, string? consumer = null) =>
        app.Wiki("enwiki").PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = User, provider, appId, consumer, client = Browser }).ContinueWith(t => JsonAsync(t.Result)).Unwrap();

    [Fact]
    public async Task Providers_outcomes_scopes_groups_and_statuses_keep_the_contract_spelling()
    {
        var cookie = await LoginAsync("cookie");
        var bot = await LoginAsync("botpassword", appId: "sandboxbot");
        await LoginAsync("oauth", consumer: "SandboxTool");
        Assert.Equal("botpassword", bot.GetProperty("session").GetProperty("provider").GetString());

        var wikis = await JsonAsync(await app.Staff("developer").GetAsync("/api/v1/admin/wikis"));
        var enwiki = wikis.EnumerateArray().Single(w => w.GetProperty("wiki").GetString() == "enwiki");
        Assert.Equal(("group2", "open"), (enwiki.GetProperty("group").GetString(), enwiki.GetProperty("status").GetString()));
        Assert.Equal(["botpassword", "cookie", "oauth"], enwiki.GetProperty("byProvider").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Contains(wikis.EnumerateArray(), w => w.GetProperty("status").GetString() == "closed");

        var page = await JsonAsync(await app.Staff("developer").GetAsync("/api/v1/admin/sessions?user=Sandbox%20Alice&provider=OAuth"));
        var oauth = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal(("oauth", "login"), (oauth.GetProperty("provider").GetString(), oauth.GetProperty("origin").GetString()));

        var cookies = cookie.GetProperty("setCookies").EnumerateArray().Where(c => c.GetProperty("host").GetString() == "en.wikipedia.org")
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!);
        var local = await JsonAsync(await app.Wiki("enwiki").PostAsJsonAsync("/api/v1/wikis/enwiki/logout", new { cookies, scope = "local", client = Browser }));
        var nothing = await JsonAsync(await app.Wiki("enwiki").PostAsJsonAsync("/api/v1/wikis/enwiki/logout", new { cookies = new { }, client = Browser }));
        Assert.Equal("nothing-to-do", nothing.GetProperty("outcome").GetString());

        var trace = await JsonAsync(await app.Staff("developer").GetAsync($"/api/v1/admin/logout-traces/{local.GetProperty("traceId").GetString()}"));
        Assert.Equal(("local", local.GetProperty("outcome").GetString()), (trace.GetProperty("scope").GetString(), trace.GetProperty("outcome").GetString()));
        Assert.Contains(trace.GetProperty("steps").EnumerateArray(), s => s.GetProperty("kind").GetString() == "centralLeftAlive");
        var empty = await JsonAsync(await app.Staff("developer").GetAsync($"/api/v1/admin/logout-traces/{nothing.GetProperty("traceId").GetString()}"));
        Assert.Equal(("global", "nothing-to-do"), (empty.GetProperty("scope").GetString(), empty.GetProperty("outcome").GetString()));
        var summary = (await JsonAsync(await app.Staff("developer").GetAsync("/api/v1/admin/logout-traces?user=Sandbox%20Alice"))).GetProperty("items")[0];
        Assert.Equal(("local", local.GetProperty("outcome").GetString()), (summary.GetProperty("scope").GetString(), summary.GetProperty("outcome").GetString()));

        var history = await JsonAsync(await app.Staff("support").GetAsync("/api/v1/admin/users/Sandbox%20Alice/history"));
        var ended = history.GetProperty("items").EnumerateArray().Single(s => s.GetProperty("provider").GetString() == "cookie");
        Assert.Equal(("login", "loggedOut"), (ended.GetProperty("origin").GetString(), ended.GetProperty("endReason").GetString()));
    }

    [Fact]
    public async Task An_unknown_provider_filter_is_a_400_that_names_the_providers()
    {
        foreach (var path in new[] { "/api/v1/admin/sessions?provider=kerberos", "/api/v1/admin/sessions.csv?provider=kerberos" })
        {
            var response = await app.Staff("developer").GetAsync(path);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("'kerberos' is not a provider; use cookie, botpassword or oauth.",
                (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        }
    }

    [Fact]
    public async Task The_csv_export_writes_providers_origins_and_end_reasons_as_before()
    {
        await app.Wiki("enwiki").PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Sandbox Bob", provider = "botpassword", appId = "sandboxbot", client = Browser });
        var csv = await app.Staff("developer").GetStringAsync("/api/v1/admin/sessions.csv?user=Sandbox%20Bob&provider=botpassword");
        var row = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1].Split(',');
        Assert.Equal(("botpassword", "Login", ""), (row[3], row[4], row[9]));
    }
}
