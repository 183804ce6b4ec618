using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Hubs;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.Hubs;

/// <summary>One instance of the app, of several sharing a store and a Redis backplane.</summary>
public sealed class ScaledOutAppFactory(string databasePath, int redisPort) : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("ConnectionStrings:Sessions", $"Data Source={databasePath}"),
        new("SignalR:Redis", $"127.0.0.1:{redisPort}"),
        // Long enough that only an eviction heard over Redis can end a cached session within the tests' wait.
        new("Sessions:CacheBackstop", "00:10:00"),
    ];
}

/// <summary>Scale-out with a real Redis server (Debian's redis-server, started on a free loopback port).</summary>
public sealed class RedisBackplaneTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"wikisessions-scaleout-{Guid.NewGuid():N}.db");
    private Process? _redis;
    private int _port;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists("/usr/bin/redis-server"), "The scale-out test needs Debian's redis-server (apt-get install -y redis-server).");
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _redis = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", $"--port {_port} --bind 127.0.0.1 --save \"\" --appendonly no")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        });
        // Wait, bounded, until the server accepts connections.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    [Fact]
    public async Task A_revoke_on_one_instance_reaches_a_staff_client_connected_to_another()
    {
        await using var first = new ScaledOutAppFactory(_database, _port);
        await using var second = new ScaledOutAppFactory(_database, _port);
        _ = first.Address; // migrates and seeds the shared store before the second instance starts
        var notices = new ConcurrentQueue<SessionNotice>();
        var arrived = new SemaphoreSlim(0);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(second.Address, "/hubs/sessions"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(LoopbackAppFactory.StaffToken("support")))
            .Build();
        connection.On<JsonElement>(LiveFeed.StaffMethod, batch =>
        {
            foreach (var n in batch.GetProperty("notices").Deserialize<List<SessionNotice>>(LiveHubTests.ClientJson)!) notices.Enqueue(n);
            arrived.Release();
        });
        await connection.StartAsync();

        var login = await first.Loopback(LoopbackAppFactory.WikiKey("enwiki"))
            .PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Sandbox Carol", provider = "cookie" });
        login.EnsureSuccessStatusCode();
        var steward = first.Loopback(LoopbackAppFactory.StaffToken("steward"));
        var page = await steward.GetFromJsonAsync<JsonElement>("/api/v1/admin/sessions?wiki=enwiki&user=Sandbox%20Carol&active=true");
        var handle = page.GetProperty("items")[0].GetProperty("handle").GetString();
        (await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{handle}/revoke", new { reason = "scale-out test" })).EnsureSuccessStatusCode();

        // Each batch that arrives wakes the test; give up after 15 s without the revoke.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (!notices.Any(n => n.Kind == SessionEventKind.AdminAction && n.SessionHandle == handle))
            await arrived.WaitAsync(timeout.Token);
    }

    [Theory]
    [InlineData("revoke")]
    [InlineData("logout")]
    public async Task What_one_instance_ends_stops_resolving_from_another_instances_memory_within_a_redis_round_trip(string how)
    {
        await using var first = new ScaledOutAppFactory(_database, _port);
        await using var second = new ScaledOutAppFactory(_database, _port);
        _ = first.Address;
        var enwiki = LoopbackAppFactory.WikiKey("enwiki");
        var login = await (await first.Loopback(enwiki).PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Sandbox Carol", provider = "cookie" }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var cookies = login.GetProperty("setCookies").EnumerateArray().Where(c => c.GetProperty("host").GetString() == "en.wikipedia.org")
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!);
        var onSecond = second.Loopback(enwiki);
        async Task<bool> ResolvesOnSecond() =>
            (await (await onSecond.PostAsJsonAsync("/api/v1/wikis/enwiki/resolve", new { cookies })).EnsureSuccessStatusCode()
                .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("session").ValueKind == JsonValueKind.Object;
        Assert.True(await ResolvesOnSecond());
        Assert.True(await ResolvesOnSecond()); // now held in the second instance's memory

        if (how == "revoke")
        {
            var steward = first.Loopback(LoopbackAppFactory.StaffToken("steward"));
            var page = await steward.GetFromJsonAsync<JsonElement>("/api/v1/admin/sessions?wiki=enwiki&user=Sandbox%20Carol&active=true");
            var handle = page.GetProperty("items")[0].GetProperty("handle").GetString();
            (await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{handle}/revoke", new { reason = "scale-out test" })).EnsureSuccessStatusCode();
        }
        else
        {
            (await first.Loopback(enwiki).PostAsJsonAsync("/api/v1/wikis/enwiki/logout", new { cookies, scope = "local" })).EnsureSuccessStatusCode();
        }
        var ended = Stopwatch.StartNew();
        // Without the eviction over Redis the second instance would answer from memory for the backstop's ten minutes.
        while (await ResolvesOnSecond())
        {
            Assert.True(ended.Elapsed < TimeSpan.FromSeconds(15), "The second instance still resolves a session the first one ended.");
            await Task.Delay(1);
        }
        output.WriteLine($"{how} on one instance: the other stopped resolving the session {ended.Elapsed.TotalMilliseconds:N1} ms after the answer");
    }

    public Task DisposeAsync()
    {
        if (_redis is { HasExited: false }) _redis.Kill(entireProcessTree: true);
        _redis?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(_database + suffix);
        return Task.CompletedTask;
    }
}
