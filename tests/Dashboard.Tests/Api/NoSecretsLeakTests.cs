using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The app with every log line, at every level, kept for inspection.</summary>
public sealed class CapturingAppFactory : AppFactory
{
    public LogSink Logs { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Serilog:MinimumLevel:Default", "Verbose")];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<ILogEventSink>(Logs));
    }

    public sealed class LogSink : ILogEventSink
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public void Emit(LogEvent logEvent) =>
            Lines.Enqueue(logEvent.RenderMessage() + " " + string.Join(" ", logEvent.Properties.Select(p => $"{p.Key}={p.Value}")) + " " + logEvent.Exception);
    }
}

/// <summary>
/// Nothing that identifies a session (its ID, a central session ID, a remember-me token, an OAuth authorization, the
/// raw path of a data route) reaches a log line at any level, the live feed, or an export: those are read by many.
/// </summary>
public sealed class NoSecretsLeakTests(CapturingAppFactory app) : IClassFixture<CapturingAppFactory>
{
    private static readonly object Browser = new { ip = "203.0.113.70", userAgent = "LeakTest/1.0", secure = true };

    [Fact]
    public async Task No_issued_credential_appears_in_the_logs_the_live_feed_or_the_csv_export()
    {
        var published = new ConcurrentQueue<SessionNotice>();
        using var feed = app.Services.GetRequiredService<SessionFeed>().Subscribe(published.Enqueue);
        var issued = new HashSet<string>();
        var enwiki = app.Wiki("enwiki");

        var login = await PostAsync(enwiki, "/api/v1/wikis/enwiki/login", new { user = "Sandbox Carol", provider = "cookie", remember = true, client = Browser });
        var cookies = Cookies(login, "en.wikipedia.org");
        var central = Cookies(login, "login.wikimedia.org");
        issued.UnionWith(cookies.Where(c => c.Key is "enwiki_session" or "enwikiToken").Select(c => c.Value));
        issued.UnionWith(central.Values.Where(Secrets.IsSessionId));
        var id = cookies["enwiki_session"];

        await PostAsync(enwiki, "/api/v1/wikis/enwiki/resolve", new { cookies, client = Browser });
        var restored = await PostAsync(enwiki, "/api/v1/wikis/enwiki/resolve", new
        {
            cookies = cookies.Where(c => c.Key is "enwikiUserID" or "enwikiToken").ToDictionary(), client = Browser,
        });
        issued.Add(restored.GetProperty("session").GetProperty("id").GetString()!);
        var de = await PostAsync(app.Wiki("dewiki"), "/api/v1/wikis/dewiki/resolve", new { cookies = new { }, centralCookies = central, client = Browser });
        issued.Add(de.GetProperty("session").GetProperty("id").GetString()!);

        var bot = await PostAsync(app.Wiki("commonswiki"), "/api/v1/wikis/commonswiki/login",
            new { user = "Sandbox Carol", provider = "botpassword", appId = "sandboxbot", client = Browser });
        issued.Add(bot.GetProperty("session").GetProperty("id").GetString()!);
        var tool = await PostAsync(app.Wiki("wikidatawiki"), "/api/v1/wikis/wikidatawiki/login",
            new { user = "Sandbox Carol", provider = "oauth", consumer = "SandboxTool", client = Browser });
        var authorization = tool.GetProperty("authorization").GetString()!;
        issued.Add(authorization["OAuth ".Length..]);
        issued.Add(tool.GetProperty("session").GetProperty("id").GetString()!);

        // The data routes, including the answers that go wrong: a conflict, bad JSON, an unknown and a malformed ID.
        await enwiki.GetAsync($"/api/v1/wikis/enwiki/sessions/{id}/data");
        await enwiki.PutAsJsonAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", new { expectedVersion = 1, data = new { edits = 1 } });
        await enwiki.PutAsJsonAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", new { expectedVersion = 1, data = new { edits = 2 } });
        await enwiki.PutAsync($"/api/v1/wikis/enwiki/sessions/{id}/data", new StringContent("{not json", Encoding.UTF8, "application/json"));
        var unknown = Secrets.NewSessionId();
        issued.Add(unknown);
        await enwiki.GetAsync($"/api/v1/wikis/enwiki/sessions/{unknown}/data");
        await enwiki.GetAsync($"/api/v1/wikis/dewiki/sessions/{id}/data");

        var steward = app.Staff("steward");
        var handle = (await steward.GetFromJsonAsync<JsonElement>("/api/v1/admin/sessions?wiki=commonswiki&user=Sandbox%20Carol&active=true"))
            .GetProperty("items")[0].GetProperty("handle").GetString();
        await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{handle}/revoke", new { reason = "Leak test" });
        await PostAsync(enwiki, "/api/v1/wikis/enwiki/logout", new { cookies, centralCookies = central, scope = "global", client = Browser });
        await steward.PostAsJsonAsync("/api/v1/admin/users/Sandbox%20Carol/invalidate", new { reason = "Leak test" });
        var csv = await steward.GetStringAsync("/api/v1/admin/sessions.csv?user=Sandbox%20Carol");

        Assert.NotEmpty(app.Logs.Lines);
        Assert.True(!published.IsEmpty, "No notice was published; warnings: " + string.Join("\n", app.Logs.Lines.Where(l => l.Contains("feed", StringComparison.OrdinalIgnoreCase)).Take(5)));
        var notices = published.Select(n => JsonSerializer.Serialize(n)).ToList();
        Assert.Contains(handle!, csv);
        var leaks = issued.SelectMany(secret => app.Logs.Lines.Concat(notices).Append(csv)
            .Where(text => text.Contains(secret, StringComparison.OrdinalIgnoreCase))
            .Select(text => $"{secret} in: {text[..Math.Min(text.Length, 300)]}")).ToList();
        Assert.True(leaks.Count == 0, string.Join("\n", leaks.Take(5)));
    }

    [Theory]
    [InlineData("/api/v1/wikis/enwiki/sessions/0123456789abcdef0123456789ABCDEF/data", "/api/v1/wikis/enwiki/sessions/{id}/data")]
    [InlineData("GET http://host/hubs/sessions?id=x&access_token=wiki-key-value HTTP/1.1", "GET http://host/hubs/sessions?id=x&access_token=(redacted) HTTP/1.1")]
    [InlineData("Logout 0123456789abcdef0123456789abcdef of Sandbox Carol", "Logout 0123456789abcdef0123456789abcdef of Sandbox Carol")]
    public void Log_lines_lose_session_ids_in_paths_and_access_tokens_but_keep_trace_ids(string line, string logged) =>
        Assert.Equal(logged, LogRedaction.Redact(line));

    private static async Task<JsonElement> PostAsync(HttpClient client, string path, object body)
    {
        var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static Dictionary<string, string> Cookies(JsonElement answer, string host) =>
        answer.GetProperty("setCookies").EnumerateArray()
            .Where(c => c.GetProperty("host").GetString() == host && c.GetProperty("value").GetString() is { Length: > 0 })
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!);
}
