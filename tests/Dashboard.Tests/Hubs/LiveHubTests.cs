using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Hubs;

namespace WikiSessions.Dashboard.Tests.Hubs;

public class LiveHubTests(LoopbackAppFactory app) : IClassFixture<LoopbackAppFactory>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly List<HubConnection> _connections = [];

    [Fact]
    public async Task Staff_connection_receives_the_revoke_of_a_session()
    {
        var notices = new ConcurrentQueue<SessionNotice>();
        var raw = new ConcurrentQueue<string>();
        var connection = await ConnectAsync(LoopbackAppFactory.StaffToken("support"));
        connection.On<JsonElement>(LiveFeed.StaffMethod, batch =>
        {
            raw.Enqueue(batch.GetRawText());
            foreach (var n in batch.GetProperty("notices").Deserialize<List<SessionNotice>>(ClientJson)!) notices.Enqueue(n);
        });

        var (sessionId, handle) = await LoginAsync("enwiki", "Tintin");
        var steward = app.Loopback(LoopbackAppFactory.StaffToken("steward"));
        var revoke = await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{handle}/revoke", new { reason = "hub test" });
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        var seen = await WaitForAsync(() => notices.FirstOrDefault(n => n.Kind == SessionEventKind.AdminAction && n.SessionHandle == handle));
        Assert.Equal(EndReason.Revoked, seen.EndReason);
        Assert.Equal("Tintin", seen.User);
        Assert.Contains("enwiki", seen.Wikis!);
        Assert.DoesNotContain(raw, text => text.Contains(sessionId, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Wiki_connection_receives_only_its_own_wikis_invalidations()
    {
        var received = new ConcurrentQueue<WikiInvalidation>();
        var connection = await ConnectAsync(LoopbackAppFactory.WikiKey("frwiki"));
        connection.On<InvalidationBatch>(LiveFeed.WikiMethod, batch => { foreach (var i in batch.Invalidations) received.Enqueue(i); });
        var steward = app.Loopback(LoopbackAppFactory.StaffToken("steward"));

        // Another wiki's revoke first, then our own: once ours has arrived, the other one would have too.
        var (_, elsewhere) = await LoginAsync("dewiki", "OddCrane");
        var (_, ours) = await LoginAsync("frwiki", "吴雨桐");
        (await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{elsewhere}/revoke", new { reason = "other wiki" })).EnsureSuccessStatusCode();
        (await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{ours}/revoke", new { reason = "our wiki" })).EnsureSuccessStatusCode();

        var seen = await WaitForAsync(() => received.FirstOrDefault(i => i.SessionHandle == ours));
        Assert.Equal(EndReason.Revoked, seen.Reason);
        Assert.Equal("吴雨桐", seen.User);
        Assert.All(received, i => Assert.True(i.FarmWide || i.Wiki == "frwiki", $"frwiki received {i.Wiki}'s invalidation"));
        Assert.DoesNotContain(received, i => i.SessionHandle == elsewhere);
    }

    [Fact]
    public async Task Every_wiki_connection_hears_that_everyone_was_invalidated()
    {
        var heard = new ConcurrentDictionary<string, WikiInvalidation>();
        foreach (var wiki in new[] { "enwiki", "abwiki" })
        {
            var connection = await ConnectAsync(LoopbackAppFactory.WikiKey(wiki));
            connection.On<InvalidationBatch>(LiveFeed.WikiMethod, batch =>
            {
                foreach (var i in batch.Invalidations.Where(i => i.FarmWide)) heard.TryAdd(wiki, i);
            });
        }

        var steward = app.Loopback(LoopbackAppFactory.StaffToken("steward"));
        (await steward.PostAsJsonAsync("/api/v1/admin/invalidate-all", new { reason = "hub test: incident" })).EnsureSuccessStatusCode();

        await WaitForAsync(() => heard.Count == 2 ? heard : null);
        Assert.All(heard.Values, i => Assert.Equal(EndReason.EveryoneInvalidated, i.Reason));
    }

    [Fact]
    public async Task A_burst_of_ten_thousand_notices_arrives_in_a_few_dozen_messages()
    {
        var marker = $"burst-{Guid.NewGuid():N}";
        var messages = 0;
        long notices = 0, dropped = 0;
        var connection = await ConnectAsync(LoopbackAppFactory.StaffToken("developer"));
        connection.On<JsonElement>(LiveFeed.StaffMethod, batch =>
        {
            var ours = batch.GetProperty("notices").EnumerateArray().Count(n => n.GetProperty("detail").GetString() == marker);
            var lost = batch.GetProperty("dropped").GetInt64();
            if (ours == 0 && lost == 0) return;
            Interlocked.Increment(ref messages);
            Interlocked.Add(ref notices, ours);
            Interlocked.Add(ref dropped, lost);
        });

        var feed = app.Services.GetRequiredService<SessionFeed>();
        for (var i = 0; i < 10_000; i++)
            feed.Publish(new SessionNotice(SessionEventKind.Created, DateTimeOffset.UtcNow, "enwiki", $"{i:x16}", "Burst", ProviderKind.Cookie, marker));

        await WaitForAsync(() => Interlocked.Read(ref notices) + Interlocked.Read(ref dropped) >= 10_000 ? "done" : null, TimeSpan.FromSeconds(30));
        // Drops (none expected at the default capacity) are counted, not lost; another test's late notices may add a few.
        Assert.InRange(notices + dropped, 10_000, 10_100);
        Assert.InRange(messages, 1, 60);
    }

    [Fact]
    public async Task A_connection_without_credentials_is_refused()
    {
        var anonymous = Build(null);
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        var wrong = Build(new string('a', 64));
        var alsoRefused = await Assert.ThrowsAsync<HttpRequestException>(() => wrong.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, alsoRefused.StatusCode);
    }

    [Fact]
    public async Task A_browser_style_access_token_in_the_query_string_is_accepted_on_the_hub()
    {
        using var http = app.Loopback();
        var token = LoopbackAppFactory.StaffToken("support");
        var negotiate = await http.PostAsync($"{LiveFeed.HubPath}/negotiate?negotiateVersion=1&access_token={token}", null);
        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        var elsewhere = await http.GetAsync($"/api/v1/admin/wikis?access_token={token}");
        Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
    }

    internal static readonly JsonSerializerOptions ClientJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private async Task<(string SessionId, string Handle)> LoginAsync(string wiki, string user)
    {
        var server = app.Loopback(LoopbackAppFactory.WikiKey(wiki));
        var login = await server.PostAsJsonAsync($"/api/v1/wikis/{wiki}/login",
            new { user, provider = "cookie", client = new { ip = "198.51.100.20", userAgent = "HubTest/1.0", secure = true } });
        login.EnsureSuccessStatusCode();
        var id = (await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").GetProperty("id").GetString()!;
        var steward = app.Loopback(LoopbackAppFactory.StaffToken("steward"));
        var page = await steward.GetFromJsonAsync<Paged<AdminSession>>($"/api/v1/admin/sessions?wiki={wiki}&user={Uri.EscapeDataString(user)}&active=true", ClientJson);
        return (id, page!.Items.OrderByDescending(s => s.CreatedAt).First().Handle);
    }

    private HubConnection Build(string? token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Address, LiveFeed.HubPath), o => { if (token is not null) o.AccessTokenProvider = () => Task.FromResult<string?>(token); })
            .AddJsonProtocol(o => o.PayloadSerializerOptions = ClientJson)
            .Build();
        _connections.Add(connection);
        return connection;
    }

    private async Task<HubConnection> ConnectAsync(string token)
    {
        var connection = Build(token);
        await connection.StartAsync();
        return connection;
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan? patience = null) where T : class
    {
        using var timeout = new CancellationTokenSource(patience ?? Patience);
        while (true)
        {
            if (probe() is { } found) return found;
            // The feed sends every 250 ms; checking at that pace keeps the wait bounded without a fixed sleep.
            await Task.Delay(50, timeout.Token);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections) await connection.DisposeAsync();
    }
}
