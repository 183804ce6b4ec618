using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Hubs;
using WikiSessions.Dashboard.Tests.Api;
using WikiSessions.Testing;

namespace WikiSessions.Dashboard.Tests.Hubs;

/// <summary>The app on a loopback socket with its log lines kept, and a short send timeout so a test need not wait long.</summary>
public sealed class SlowClientAppFactory : LoopbackAppFactory
{
    public CapturingAppFactory.LogSink Logs { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("LiveFeed:SendTimeout", "00:00:01")];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<ILogEventSink>(Logs));
    }
}

/// <summary>
/// A dashboard that stops reading (its socket buffers full) must not hold back the live feed of the others: the group
/// send waits for the slowest connection of the group, so without a send timeout one such client stalls every dashboard.
/// </summary>
public sealed class SlowClientTests(SlowClientAppFactory app) : IClassFixture<SlowClientAppFactory>
{
    [Fact]
    public async Task A_client_that_never_reads_is_closed_and_the_other_dashboards_keep_receiving_everything()
    {
        var token = LoopbackAppFactory.StaffToken("support");
        long heard = 0;
        await using var healthy = new HubConnectionBuilder()
            .WithUrl(new Uri(app.Address, LiveFeed.HubPath), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        healthy.On<JsonElement>(LiveFeed.StaffMethod, batch => Interlocked.Add(ref heard, batch.GetProperty("notices").GetArrayLength()));
        await healthy.StartAsync();
        await using var slow = await SlowHubClient.ConnectAsync(app.Address, token);

        // About 13 MB of notices in rounds of four batches: far more than the silent client's socket buffers (the kernel lets a
        // loopback send buffer grow to 4 MB) and
        // SignalR's 64 KB pipe hold, so its writes stop completing part of the way through.
        var feed = app.Services.GetRequiredService<SessionFeed>();
        var detail = new string('x', SessionNotice.MaxDetail);
        const int rounds = 15, perRound = 2000;
        for (var round = 0; round < rounds; round++)
        {
            for (var n = 0; n < perRound; n++)
                feed.Publish(new SessionNotice(SessionEventKind.Created, DateTimeOffset.UtcNow, "enwiki", $"{round * perRound + n:x16}", "Sandbox Alice", ProviderKind.Cookie, detail));
            var expected = (round + 1) * perRound;
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (Interlocked.Read(ref heard) < expected && waited.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(20);
            Assert.True(Interlocked.Read(ref heard) >= expected,
                $"The healthy dashboard heard {Interlocked.Read(ref heard)} of {expected} notices in round {round}: the client that never reads held back the feed");
        }

        Assert.Equal((long)rounds * perRound, Interlocked.Read(ref heard));
        // Closed once, and said once: not a line per notice or per batch.
        var closed = app.Logs.Lines.Where(l => l.Contains("took no live-feed batch", StringComparison.Ordinal)).ToList();
        Assert.Single(closed);
        Assert.Contains("lost the", closed[0], StringComparison.Ordinal);
        // The silent client's connection is gone, and with it what was queued for it; the healthy one stays.
        var hubConnections = app.Services.GetRequiredService<HubConnections>();
        var closing = System.Diagnostics.Stopwatch.StartNew();
        while (hubConnections.All.Count > 1 && closing.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(50);
        Assert.Equal(healthy.ConnectionId, Assert.Single(hubConnections.All).Context.ConnectionId);
    }
}
