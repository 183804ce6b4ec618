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
        await StartRedisAsync();
    }

    /// <summary>Starts Redis on the run's port (again, after <see cref="StopRedis"/>) and waits until it accepts connections.</summary>
    private async Task StartRedisAsync()
    {
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

    private void StopRedis()
    {
        _redis!.Kill(entireProcessTree: true);
        _redis.WaitForExit();
        _redis.Dispose();
        _redis = null;
    }

    /// <param name="redisPort">Where this instance finds Redis (default: the run's server; a <see cref="CuttableLink"/> to cut it off).</param>
    /// <param name="backstop">How long it trusts a cached copy; by default, and with the activity write as far off, only an eviction heard over Redis, or the cache turning off, can end a cached session within a test's wait.</param>
    private AppProcess StartInstance(int? redisPort = null, TimeSpan? backstop = null) => AppProcess.Start("", new Dictionary<string, string>
    {
        ["Database:Provider"] = "PostgreSql",
        ["ConnectionStrings:Sessions"] = _cluster.ConnectionString(_database),
        ["SignalR:Redis"] = $"127.0.0.1:{redisPort ?? _redisPort}",
        ["Sessions:CacheBackstop"] = (backstop ?? TimeSpan.FromMinutes(10)).ToString(),
        // A cached session due for its activity write goes to the store: not within a test's wait.
        ["Sessions:ActivityWriteInterval"] = "00:10:00",
    });

    /// <summary>Resolves <paramref name="session"/> until it is refused (bounded by a wait no healthy run comes near); returns how long that took.</summary>
    private static async Task<TimeSpan> UntilRefusedAsync(WikiTraffic traffic, LoggedIn session, string what)
    {
        var clock = Stopwatch.StartNew();
        while ((await traffic.ResolveAsync(session)).SessionId is not null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), what);
            await Task.Delay(5);
        }
        return clock.Elapsed;
    }

    /// <summary>Waits until <paramref name="instance"/> logged that it hears Redis again (its cache is on, and empty).</summary>
    private static async Task UntilRedisHeardAsync(AppProcess instance, int times)
    {
        var clock = Stopwatch.StartNew();
        while (instance.Output.Split('\n').Count(line => line.Contains("Redis reachable again", StringComparison.Ordinal)) < times)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"The instance did not reconnect to Redis:\n{instance.Output}");
            await Task.Delay(50);
        }
    }

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
    public async Task Redis_stopped_and_started_again_keeps_what_one_instance_ends_ended_on_the_other_and_evictions_resume()
    {
        await using var first = StartInstance();
        await using var second = StartInstance();
        await Task.WhenAll(first.WaitUntilReadyAsync(), second.WaitUntilReadyAsync());
        var onFirst = WikiTraffic.For(first.Address, "enwiki");
        var onSecond = WikiTraffic.For(second.Address, "enwiki");
        var (_, before, _) = await onFirst.LoginAsync("Sandbox Alice");
        Assert.Equal(before!.Id, (await onSecond.ResolveAsync(before)).SessionId);
        Assert.Equal(before.Id, (await onSecond.ResolveAsync(before)).SessionId); // now in the second instance's memory

        StopRedis();
        var logout = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await onFirst.LogoutAsync(before)).Status);
        output.WriteLine($"Redis down: a logout answered in {logout.ElapsedMilliseconds} ms");
        var whileDown = await UntilRefusedAsync(onSecond, before, "With Redis down, the second instance still resolves from memory a session the first one logged out.");
        output.WriteLine($"Redis down: the other instance stopped resolving the logged-out session {whileDown.TotalMilliseconds:N1} ms after the answer");

        await StartRedisAsync();
        await Task.WhenAll(UntilRedisHeardAsync(first, 1), UntilRedisHeardAsync(second, 1));
        var (_, after, _) = await onFirst.LoginAsync("Sandbox Bob");
        Assert.Equal(after!.Id, (await onSecond.ResolveAsync(after)).SessionId);
        Assert.Equal(after.Id, (await onSecond.ResolveAsync(after)).SessionId);
        logout.Restart();
        Assert.Equal(HttpStatusCode.OK, (await onFirst.LogoutAsync(after)).Status);
        output.WriteLine($"Redis back: a logout answered in {logout.ElapsedMilliseconds} ms");
        var backUp = await UntilRefusedAsync(onSecond, after, "After Redis came back, a logout on one instance did not reach the other's memory.");
        output.WriteLine($"Redis back: the other instance stopped resolving the next logged-out session {backUp.TotalMilliseconds:N1} ms after the answer");
    }

    [Fact]
    public async Task An_instance_cut_off_from_Redis_trusts_its_memory_no_longer_than_the_backstop_and_what_it_ended_meanwhile_reaches_the_others_when_it_is_back()
    {
        await using var link = new CuttableLink(_redisPort);
        // The first instance keeps the test's long backstop: only an eviction heard over Redis ends its copies in time.
        await using var first = StartInstance();
        await using var second = StartInstance(link.Port, backstop: TimeSpan.FromSeconds(3));
        await Task.WhenAll(first.WaitUntilReadyAsync(), second.WaitUntilReadyAsync());
        var onFirst = WikiTraffic.For(first.Address, "enwiki");
        var onSecond = WikiTraffic.For(second.Address, "enwiki");
        var (_, heldBySecond, _) = await onFirst.LoginAsync("Sandbox Alice");
        var (_, heldByFirst, _) = await onFirst.LoginAsync("Sandbox Bob");
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(heldBySecond!.Id, (await onSecond.ResolveAsync(heldBySecond)).SessionId);
            Assert.Equal(heldByFirst!.Id, (await onFirst.ResolveAsync(heldByFirst)).SessionId);
        }

        link.Cut();
        Assert.Equal(HttpStatusCode.OK, (await onFirst.LogoutAsync(heldBySecond!)).Status);
        var cutOff = await UntilRefusedAsync(onSecond, heldBySecond!, "The instance cut off from Redis still resolves, well past its backstop, a session the other instance logged out.");
        output.WriteLine($"Cut off from Redis (backstop 3 s): it stopped resolving a session logged out elsewhere {cutOff.TotalMilliseconds:N1} ms after the answer");

        // Ended on the cut-off instance: its eviction cannot reach the first one, whose copy outlives the test's wait by far.
        Assert.Equal(HttpStatusCode.OK, (await WikiTraffic.For(second.Address, "enwiki").LogoutAsync(heldByFirst!)).Status);
        link.Heal();
        var healed = await UntilRefusedAsync(onFirst, heldByFirst!, "After the link healed, the other instance still resolves from memory a session the cut-off instance logged out.");
        output.WriteLine($"Link healed: the other instance stopped resolving the session ended while cut off {healed.TotalMilliseconds:N1} ms after the heal");
        var (_, fresh, _) = await onSecond.LoginAsync("Sandbox Carol");
        Assert.Equal(fresh!.Id, (await onFirst.ResolveAsync(fresh)).SessionId);
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
