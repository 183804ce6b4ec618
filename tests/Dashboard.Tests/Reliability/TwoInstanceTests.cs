using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WikiSessions.Testing;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>
/// The scaled-out farm as a system: two app processes sharing one PostgreSQL database (the run's own cluster) and a
/// Redis server (Debian's redis-server on a free loopback port), as docs/scale-out.md describes.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class TwoInstanceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Users = ["Sandbox Alice", "Sandbox Bob", "Sandbox Carol"];
    private PostgresCluster _cluster = null!;
    private string _database = "";
    private Process? _redis;
    private int _redisPort;

    public async Task InitializeAsync()
    {
        _cluster = await PostgresCluster.GetAsync();
        _database = await _cluster.CopyAsync("twoinstances");
        Assert.True(File.Exists("/usr/bin/redis-server"), "The two-instance tests need Debian's redis-server (apt-get install -y redis-server).");
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _redisPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _redis = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", $"--port {_redisPort} --bind 127.0.0.1 --save \"\" --appendonly no") { RedirectStandardOutput = true });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, _redisPort);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private AppProcess StartInstance() => AppProcess.Start("", new Dictionary<string, string>
    {
        ["Database:Provider"] = "PostgreSql",
        ["ConnectionStrings:Sessions"] = _cluster.ConnectionString(_database),
        ["SignalR:Redis"] = $"127.0.0.1:{_redisPort}",
        // Long enough that only an eviction heard over Redis can end a cached session within the test's wait.
        ["Sessions:CacheBackstop"] = "00:10:00",
    });

    [Fact]
    public async Task A_logout_on_one_instance_is_in_force_on_the_other_even_for_a_session_it_holds_in_memory()
    {
        await using var first = StartInstance();
        await using var second = StartInstance();
        await Task.WhenAll(first.WaitUntilReadyAsync(), second.WaitUntilReadyAsync());
        var onFirst = WikiTraffic.For(first.Address, "enwiki");
        var onSecond = WikiTraffic.For(second.Address, "enwiki");
        var (status, session, body) = await onFirst.LoginAsync("Sandbox Carol");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.Equal(session!.Id, (await onSecond.ResolveAsync(session)).SessionId);
        Assert.Equal(session.Id, (await onSecond.ResolveAsync(session)).SessionId); // now in the second instance's memory

        Assert.Equal(HttpStatusCode.OK, (await onFirst.LogoutAsync(session)).Status);
        var ended = Stopwatch.StartNew();
        while ((await onSecond.ResolveAsync(session)).SessionId is not null)
        {
            Assert.True(ended.Elapsed < TimeSpan.FromSeconds(15), "The second instance still resolves a session the first one logged out.");
            await Task.Delay(1);
        }
        output.WriteLine($"Logout on one instance: the other stopped resolving the session {ended.Elapsed.TotalMilliseconds:N1} ms after the answer");
    }

    [Fact]
    public async Task A_kill_of_one_instance_mid_burst_loses_no_login_it_acknowledged_and_the_other_keeps_serving()
    {
        await using var first = StartInstance();
        await using var second = StartInstance();
        await Task.WhenAll(first.WaitUntilReadyAsync(), second.WaitUntilReadyAsync());
        var acknowledged = new ConcurrentBag<(string Wiki, LoggedIn Session)>();
        using var stop = new CancellationTokenSource();
        var wikis = new[] { "enwiki", "dewiki", "frwiki", "commonswiki" };
        var workers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var traffic = WikiTraffic.For(first.Address, wikis[w % wikis.Length]);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var (status, session, body) = await traffic.LoginAsync(Users[w % Users.Length], stop.Token);
                    if (status != HttpStatusCode.OK) throw new InvalidOperationException($"Login answered {(int)status}: {body}");
                    acknowledged.Add((traffic.Wiki, session!));
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                    return; // the instance was killed: what was in flight was never acknowledged
                }
            }
        })).ToList();
        while (acknowledged.Count < 100)
        {
            Assert.False(workers.Any(t => t.IsFaulted), "A worker failed before the kill: " + workers.FirstOrDefault(t => t.IsFaulted)?.Exception);
            await Task.Delay(20);
        }
        first.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var lost = new List<string>();
        foreach (var (wiki, session) in acknowledged)
        {
            var resolved = await WikiTraffic.For(second.Address, wiki).ResolveAsync(session);
            if (resolved.SessionId != session.Id) lost.Add($"{wiki} {session.Id}: {(int)resolved.Status} {resolved.Body}");
        }
        var (after, _, afterBody) = await WikiTraffic.For(second.Address, "enwiki").LoginAsync("Sandbox Alice");
        output.WriteLine($"Killed one instance after {acknowledged.Count} acknowledged logins; the other resolved {acknowledged.Count - lost.Count} of them");
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged login(s) lost:\n{string.Join("\n", lost.Take(10))}");
        Assert.True(after == HttpStatusCode.OK, $"The surviving instance refused a login: {afterBody}");
    }

    [Fact]
    public async Task A_PostgreSQL_restart_is_a_503_naming_the_cause_and_both_instances_recover_by_themselves()
    {
        await using var first = StartInstance();
        await using var second = StartInstance();
        await Task.WhenAll(first.WaitUntilReadyAsync(), second.WaitUntilReadyAsync());
        var onFirst = WikiTraffic.For(first.Address, "enwiki");
        var onSecond = WikiTraffic.For(second.Address, "enwiki");
        var (_, alive, _) = await onFirst.LoginAsync("Sandbox Alice");

        await _cluster.StopServerAsync();
        string cause;
        try
        {
            var (status, _, body) = await onSecond.LoginAsync("Sandbox Bob");
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"A login with PostgreSQL down answered {(int)status}: {body}");
            cause = body.GetProperty("detail").GetString() ?? "";
            Assert.False(string.IsNullOrWhiteSpace(cause), $"The 503 does not name the cause: {body}");
        }
        finally
        {
            await _cluster.StartServerAsync();
        }
        output.WriteLine($"With PostgreSQL down a login was a 503: {cause}");

        // Back by itself: no instance restarted, no pool cleared by the test.
        var recovery = Stopwatch.StartNew();
        foreach (var traffic in new[] { onFirst, onSecond })
        {
            while ((await traffic.LoginAsync("Sandbox Carol")).Status != HttpStatusCode.OK)
                Assert.True(recovery.Elapsed < TimeSpan.FromSeconds(60), $"An instance did not recover within {recovery.Elapsed} after PostgreSQL came back");
        }
        output.WriteLine($"Both instances log users in again {recovery.Elapsed.TotalMilliseconds:0} ms after PostgreSQL came back");
        Assert.Equal(alive!.Id, (await onSecond.ResolveAsync(alive)).SessionId);
    }

    public async Task DisposeAsync()
    {
        if (_redis is { HasExited: false }) _redis.Kill(entireProcessTree: true);
        _redis?.Dispose();
        await _cluster.DropAsync(_database);
    }
}
