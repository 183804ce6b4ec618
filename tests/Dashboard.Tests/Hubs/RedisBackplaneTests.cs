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

namespace WikiSessions.Dashboard.Tests.Hubs;

/// <summary>One instance of the app, of several sharing a store and a Redis backplane.</summary>
public sealed class ScaledOutAppFactory(string databasePath, int redisPort) : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("ConnectionStrings:Sessions", $"Data Source={databasePath}"),
        new("SignalR:Redis", $"127.0.0.1:{redisPort}"),
    ];
}

/// <summary>Scale-out with a real Redis server (Debian's redis-server, started on a free loopback port).</summary>
public sealed class RedisBackplaneTests : IAsyncLifetime
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

    public Task DisposeAsync()
    {
        if (_redis is { HasExited: false }) _redis.Kill(entireProcessTree: true);
        _redis?.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(_database + suffix);
        return Task.CompletedTask;
    }
}
