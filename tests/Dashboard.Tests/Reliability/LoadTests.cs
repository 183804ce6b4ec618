using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using WikiSessions.Dashboard.Hubs;
using WikiSessions.Testing;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>
/// The app as a process of its own, with a live feed small enough that a burst of logins overflows it: 20 notices held,
/// sent every 2 s (the feed sends its whole backlog each interval, so only a short buffer and a long interval overflow).
/// Any machine that logs in more than ten users a second overflows it: at 200 held, a busy machine's logins (about 50 a
/// second) never did, and the test failed there.
/// </summary>
public sealed class LoadApp : IAsyncLifetime
{
    private string _store = "";

    public AppProcess App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _store = await SeededStore.CopyAsync("load");
        App = AppProcess.Start(_store, [new("LiveFeed:MaxBatch", "20"), new("LiveFeed:BufferCapacity", "20"), new("LiveFeed:Interval", "00:00:02")]);
        await App.WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        SeededStore.Delete(_store);
    }
}

/// <summary>
/// Many writers on one session's data, and hundreds of live-feed clients with one that never reads. The CI runs a small
/// load; <c>WIKISESSIONS_FULL_LOAD=1</c> runs 64 writers × 1,000 writes (docs/reliability.md has the figures).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class LoadTests(LoadApp fixture, ITestOutputHelper output) : IClassFixture<LoadApp>
{
    private static readonly bool Full = Environment.GetEnvironmentVariable("WIKISESSIONS_FULL_LOAD") == "1";

    [Fact]
    public async Task Sixty_four_writers_on_one_session_lose_no_acknowledged_write()
    {
        const int writers = 64;
        var writesEach = Full ? 1000 : 20;
        var enwiki = WikiTraffic.For(fixture.App.Address, "enwiki");
        var session = (await enwiki.LoginAsync("Sandbox Alice")).Session!;
        long acknowledged = 0, conflicts = 0;
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var traffic = WikiTraffic.For(fixture.App.Address, "enwiki");
            var mine = $"w{w}";
            for (int written = 0, lost = 0; written < writesEach;)
            {
                var read = await traffic.GetDataAsync(session.Id);
                Assert.Equal(HttpStatusCode.OK, read.Status);
                var data = read.Data!;
                Assert.Equal(written, data[mine]?.GetValue<int>() ?? 0); // every write of mine so far is there
                data[mine] = written + 1;
                var put = await traffic.PutDataAsync(session.Id, read.Version, data);
                if (put.Status == HttpStatusCode.OK)
                {
                    (written, lost) = (written + 1, 0);
                    Interlocked.Increment(ref acknowledged);
                }
                else
                {
                    Assert.Equal(HttpStatusCode.Conflict, put.Status);
                    Interlocked.Increment(ref conflicts);
                    // A client that lost the race backs off for a random while that doubles with each loss, as any
                    // compare-and-swap client should; otherwise 63 losers re-read and retry in lockstep.
                    await Task.Delay(Random.Shared.Next(0, 2 << Math.Min(lost++, 7)));
                }
            }
        })));

        var final = await enwiki.GetDataAsync(session.Id);
        output.WriteLine($"{writers} writers × {writesEach} writes: {acknowledged} acknowledged, {conflicts} conflicts retried, " +
            $"{clock.Elapsed.TotalSeconds:0.0} s, {acknowledged / clock.Elapsed.TotalSeconds:0} acknowledged writes a second");
        Assert.Equal(writers * writesEach, acknowledged);
        Assert.Equal(1 + acknowledged, final.Version);
        for (var w = 0; w < writers; w++) Assert.Equal(writesEach, final.Data![$"w{w}"]!.GetValue<int>());
    }

    [Fact]
    public async Task Three_hundred_hub_clients_and_one_that_never_reads_keep_server_memory_bounded_and_drops_counted()
    {
        var clients = Full ? 1000 : 300;
        var token = LoopbackAppFactory.StaffToken("support");
        var received = new long[clients];
        long dropped = 0;
        var connections = new ConcurrentBag<HubConnection>();
        var baseline = fixture.App.WorkingSet();
        await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(fixture.App.Address, LiveFeed.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            connection.On<JsonElement>(LiveFeed.StaffMethod, batch =>
            {
                Interlocked.Add(ref received[i], batch.GetProperty("notices").GetArrayLength());
                Interlocked.Add(ref dropped, batch.GetProperty("dropped").GetInt64());
            });
            await connection.StartAsync(ct);
            connections.Add(connection);
        });
        await using var slow = await SlowHubClient.ConnectAsync(fixture.App.Address, token);

        // Logins in bursts, so the feed has more to say than the slow client will ever take; memory sampled throughout.
        var samples = new List<long>();
        var logins = 0;
        var rounds = Full ? 30 : 6;
        var traffic = new[] { "enwiki", "dewiki", "frwiki", "eswiki" }.Select(w => WikiTraffic.For(fixture.App.Address, w)).ToList();
        var heardBefore = received.Sum();
        var quietClients = new List<int>();
        for (var round = 0; round < rounds; round++)
        {
            await Task.WhenAll(traffic.Select(async t =>
            {
                for (var n = 0; n < 60; n++)
                    if ((await t.LoginAsync("Sandbox Bob")).Status == HttpStatusCode.OK) Interlocked.Increment(ref logins);
            }));
            samples.Add(fixture.App.WorkingSet());
            if (round == rounds - 1) continue;
            // Every healthy client keeps hearing the feed while the slow one holds its share back.
            var snapshot = received.ToArray();
            var heard = Stopwatch.StartNew();
            while (received.Where((n, i) => n > snapshot[i]).Count() < clients && heard.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
            quietClients.Add(clients - received.Where((n, i) => n > snapshot[i]).Count());
        }
        var third = samples.Count / 3;
        var middle = samples.Skip(third).Take(third).Max();
        var last = samples.Skip(samples.Count - third).Max();
        output.WriteLine($"{clients} hub clients + 1 that never reads; {logins} logins in {rounds} rounds; notices received {received.Sum() - heardBefore}, dropped (reported to clients) {dropped}");
        output.WriteLine($"server working set: {baseline / 1048576} MB before, samples {string.Join(", ", samples.Select(s => s / 1048576))} MB; last third / middle third {(double)last / middle:0.00}");
        output.WriteLine($"healthy clients that heard nothing in a round: {string.Join(", ", quietClients)}");

        Assert.True(last <= middle * 1.2, $"Server memory kept growing: {string.Join(", ", samples)}");
        Assert.True(dropped > 0, "The feed overflowed yet reported no dropped notices");
        Assert.All(quietClients, quiet => Assert.Equal(0, quiet));
        foreach (var connection in connections) await connection.DisposeAsync();
    }
}
