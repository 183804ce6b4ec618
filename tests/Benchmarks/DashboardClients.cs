using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using WikiSessions.Core.Seeding;

namespace WikiSessions.Benchmarks;

/// <summary>
/// N staff dashboards on the live feed, as the dashboards of a busy day: each connects with the seeded support
/// account's API token and records, for every notice it receives, how long after the notice's time it arrived.
/// Delays go into a fixed histogram (1 ms buckets up to a minute), so hours of feed cost the same memory as seconds.
/// </summary>
public sealed class DashboardClients : IAsyncDisposable
{
    public static readonly TimeSpan Target = TimeSpan.FromMilliseconds(500);
    private const int Buckets = 60_000;

    private readonly List<HubConnection> _connections = [];
    private readonly long[] _histogram = new long[Buckets + 1];
    private long[] _received = [];
    private long _batches;
    private long _maxDroppedSeen;
    private int _connectionErrors;
    private readonly List<string> _errors = [];

    private DashboardClients() { }

    /// <summary>Connects <paramref name="count"/> staff dashboards to the hub at <paramref name="baseUrl"/>; a failed connection is counted, not thrown.</summary>
    public static async Task<DashboardClients> ConnectAsync(Uri baseUrl, int count)
    {
        var token = DemoCredentials.Read(SeedLoader.FindSeedFolder(null, AppContext.BaseDirectory, Directory.GetCurrentDirectory()))
            .Staff.First(s => s.Role == "support").Token;
        var clients = new DashboardClients { _received = new long[count] };
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => clients.ConnectOneAsync(new Uri(baseUrl, "/hubs/sessions"), token, i)));
        return clients;
    }

    private async Task ConnectOneAsync(Uri hub, string token, int index)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(hub, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Transports = HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        connection.On<JsonElement>("notices", batch => Receive(index, batch));
        connection.Closed += ex =>
        {
            if (ex is not null) Error($"dashboard {index} lost its connection: {ex.Message}");
            return Task.CompletedTask;
        };
        try
        {
            await connection.StartAsync();
            lock (_connections) _connections.Add(connection);
        }
        catch (Exception ex)
        {
            Error($"dashboard {index} could not connect: {ex.Message}");
            await connection.DisposeAsync();
        }
    }

    private void Receive(int index, JsonElement batch)
    {
        var now = DateTimeOffset.UtcNow;
        var notices = batch.GetProperty("notices");
        foreach (var notice in notices.EnumerateArray())
        {
            var ms = (long)(now - notice.GetProperty("at").GetDateTimeOffset()).TotalMilliseconds;
            Interlocked.Increment(ref _histogram[Math.Clamp(ms, 0, Buckets)]);
        }
        Interlocked.Add(ref _received[index], notices.GetArrayLength());
        Interlocked.Increment(ref _batches);
        // Every dashboard hears the same drop counts; the largest total any one heard is the feed's.
        var dropped = batch.GetProperty("dropped").GetInt64();
        if (dropped > 0) Interlocked.Add(ref _maxDroppedSeen, dropped);
    }

    private void Error(string message)
    {
        Interlocked.Increment(ref _connectionErrors);
        lock (_errors) if (_errors.Count < 10) _errors.Add(message);
    }

    /// <summary>What the dashboards heard so far.</summary>
    public DashboardSummary Summary()
    {
        var histogram = _histogram.ToArray();
        var total = histogram.Sum();
        TimeSpan Percentile(double p)
        {
            if (total == 0) return TimeSpan.Zero;
            var rank = (long)Math.Ceiling(p * total);
            long seen = 0;
            for (var ms = 0; ms < histogram.Length; ms++)
                if ((seen += histogram[ms]) >= rank) return TimeSpan.FromMilliseconds(ms);
            return TimeSpan.FromMilliseconds(Buckets);
        }
        var within = histogram.Take((int)Target.TotalMilliseconds + 1).Sum();
        int connected;
        lock (_connections) connected = _connections.Count(c => c.State == HubConnectionState.Connected);
        List<string> errors;
        lock (_errors) errors = [.. _errors];
        return new DashboardSummary(_received.Length, connected, _received.ToArray(), Interlocked.Read(ref _batches),
            total == 0 ? 0 : (double)within / total, Percentile(0.50), Percentile(0.95), Percentile(0.99), Percentile(1.0),
            Interlocked.Read(ref _maxDroppedSeen) / Math.Max(1, _received.Length), _connectionErrors, errors);
    }

    public async ValueTask DisposeAsync()
    {
        List<HubConnection> connections;
        lock (_connections) connections = [.. _connections];
        await Task.WhenAll(connections.Select(c => c.DisposeAsync().AsTask()));
    }
}

/// <param name="Delivered">Notices each dashboard received.</param>
/// <param name="WithinTarget">Share of received notices that arrived within <see cref="DashboardClients.Target"/> of their time.</param>
/// <param name="Dropped">Notices the feed reported dropped (its buffer overflowed), as one dashboard heard them.</param>
/// <param name="ConnectionErrors">Dashboards that could not connect or lost their connection.</param>
public sealed record DashboardSummary(int Clients, int Connected, long[] Delivered, long Batches, double WithinTarget,
    TimeSpan P50, TimeSpan P95, TimeSpan P99, TimeSpan Max, long Dropped, int ConnectionErrors, IReadOnlyList<string> Errors)
{
    public override string ToString() =>
        $"{Connected}/{Clients} dashboards connected, {ConnectionErrors} connection errors\n" +
        $"delivered per dashboard: min {(Delivered.Length == 0 ? 0 : Delivered.Min()):N0}, max {(Delivered.Length == 0 ? 0 : Delivered.Max()):N0} notices ({Batches:N0} batches in all)\n" +
        $"delivery delay: within {DashboardClients.Target.TotalMilliseconds:0} ms {WithinTarget:P1}; p50 {P50.TotalMilliseconds:N0} ms, p95 {P95.TotalMilliseconds:N0} ms, " +
        $"p99 {P99.TotalMilliseconds:N0} ms, max {Max.TotalMilliseconds:N0} ms\n" +
        $"dropped by the feed (reported to dashboards): {Dropped:N0}" +
        string.Concat(Errors.Select(e => "\n  " + e));
}
