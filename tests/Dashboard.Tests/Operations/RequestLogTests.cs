using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serilog.Core;
using Serilog.Events;

namespace WikiSessions.Dashboard.Tests.Operations;

/// <summary>The app at its default log level, every line kept, and a summary interval no test waits for.</summary>
public sealed class DefaultLevelAppFactory : AppFactory
{
    public ConcurrentQueue<LogEvent> Lines { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("RequestLog:SummaryInterval", "1.00:00:00")];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(s => s.AddSingleton<ILogEventSink>(new Sink(Lines)));
    }

    private sealed class Sink(ConcurrentQueue<LogEvent> lines) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => lines.Enqueue(logEvent);
    }
}

/// <summary>
/// Slow and refused requests are summarised once an interval: an overloaded or attacked app writes a bounded log,
/// and the counts per route stay on /metrics.
/// </summary>
public sealed class RequestLogTests(DefaultLevelAppFactory app) : IClassFixture<DefaultLevelAppFactory>
{
    private static readonly RequestLogOptions Options = new() { SlowThreshold = TimeSpan.FromSeconds(1), SummaryInterval = TimeSpan.FromMinutes(1) };

    [Fact]
    public void When_every_request_is_slow_an_interval_writes_the_first_in_full_and_one_summary_line()
    {
        var logger = new ListLogger();
        var log = new RequestLog(Microsoft.Extensions.Options.Options.Create(Options), new FakeTimeProvider(), logger);

        for (var i = 0; i < 1000; i++) log.Record("POST", "/api/v1/wikis/{wiki}/resolve", 200, TimeSpan.FromMilliseconds(1200 + i));
        for (var i = 0; i < 300; i++) log.Record("GET", "/sessions/v1/{key}", 404, TimeSpan.FromMilliseconds(5));
        log.Record("GET", "/health/live", 200, TimeSpan.FromMilliseconds(3));
        Assert.Equal(1300, log.Summarise());

        Assert.Equal(2, logger.Lines.Count);
        Assert.Contains("POST /api/v1/wikis/{wiki}/resolve responded 200 in 1200.0 ms", logger.Lines[0]);
        var summary = logger.Lines[1];
        Assert.StartsWith("1300 slow or refused requests in the last 00:01:00 (slow: over 1000 ms): ", summary);
        Assert.Contains("POST /api/v1/wikis/{wiki}/resolve 200 × 1000 (1000 slow), GET /sessions/v1/{key} 404 × 300;", summary);
        Assert.EndsWith("the slowest, POST /api/v1/wikis/{wiki}/resolve 200, took 2199.0 ms", summary);
        Assert.Equal(0, log.Summarise());
        Assert.Equal(2, logger.Lines.Count);
    }

    [Fact]
    public void While_slow_requests_keep_coming_each_interval_writes_one_summary_and_after_a_quiet_one_the_first_is_written_in_full()
    {
        var logger = new ListLogger();
        var log = new RequestLog(Microsoft.Extensions.Options.Options.Create(Options), new FakeTimeProvider(), logger);

        foreach (var interval in Enumerable.Range(0, 5))
        {
            for (var i = 0; i < 500; i++) log.Record("POST", "/api/v1/wikis/{wiki}/resolve", 200, TimeSpan.FromSeconds(2));
            log.Summarise();
        }
        Assert.Equal(6, logger.Lines.Count);
        Assert.Single(logger.Lines, l => l.Contains("responded 200", StringComparison.Ordinal));

        log.Summarise();
        log.Record("GET", "/sessions/v1/{key}", 404, TimeSpan.Zero);
        Assert.Contains("GET /sessions/v1/{key} responded 404", logger.Lines[^1]);
    }

    [Fact]
    public void A_lone_noted_request_is_written_once_and_routine_ones_not_at_all()
    {
        var logger = new ListLogger();
        var log = new RequestLog(Microsoft.Extensions.Options.Options.Create(Options), new FakeTimeProvider(), logger);

        for (var i = 0; i < 100; i++) log.Record("POST", "/api/v1/wikis/{wiki}/resolve", 200, TimeSpan.FromMilliseconds(999));
        Assert.Empty(logger.Lines);
        log.Record("POST", "/api/v1/wikis/{wiki}/login", 409, TimeSpan.FromMilliseconds(4));
        Assert.Equal(1, log.Summarise());
        Assert.Single(logger.Lines);
    }

    [Fact]
    public void Kinds_past_the_cap_are_counted_together_so_a_scan_of_routes_cannot_grow_the_summary()
    {
        var logger = new ListLogger();
        var log = new RequestLog(Microsoft.Extensions.Options.Options.Create(Options), new FakeTimeProvider(), logger);

        for (var i = 0; i < RequestLog.MaxKinds + 50; i++) log.Record("GET", "/route" + i, 404, TimeSpan.Zero);
        log.Summarise();

        Assert.Contains($"{RequestLog.OtherKinds} × 50", logger.Lines[^1]);
    }

    [Fact]
    public async Task Unauthenticated_requests_and_store_misses_write_a_bounded_log_and_are_counted_by_route_on_metrics()
    {
        var requestLog = app.Services.GetRequiredService<RequestLog>();
        requestLog.Summarise();
        var before = app.Lines.Count;
        var anonymous = app.CreateClient();
        var enwiki = app.Wiki("enwiki");

        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/v1/wikis/enwiki/resolve", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await enwiki.GetAsync("/sessions/v1/" + Uri.EscapeDataString($"enwiki:MWSession:logtest{i:D24}"))).StatusCode);
        }
        requestLog.Summarise();

        var lines = app.Lines.Skip(before).Where(l => l.Level >= LogEventLevel.Information).Select(l => l.RenderMessage()).ToList();
        Assert.True(lines.Count <= 2, "400 refused requests wrote these lines:\n" + string.Join("\n", lines));
        Assert.Contains(lines, l => l.Contains("POST /api/v1/wikis/{wiki}/resolve 401 × 200") && l.Contains("GET /sessions/v1/{key} 404 × 200"));

        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("http_server_request_duration_seconds_count{", StringComparison.Ordinal)
            && l.Contains("http_route=\"/sessions/v1/{key}\"") && l.Contains("http_response_status_code=\"404\""));
    }

    private sealed class ListLogger : ILogger<RequestLog>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) Lines.Add(formatter(state, exception));
        }
    }
}
