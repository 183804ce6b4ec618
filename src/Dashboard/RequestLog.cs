using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace WikiSessions.Dashboard;

/// <summary>When a request counts as slow, and how often slow and refused requests are summarised (<c>RequestLog</c>).</summary>
public sealed class RequestLogOptions
{
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan SlowThreshold { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SummaryInterval { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// The request log. Routine requests are written at Debug. A slow request (over <see cref="RequestLogOptions.SlowThreshold"/>)
/// or one answered with a 4xx or 5xx is "noted". Noted requests are counted by method, route pattern and status and written
/// as one summary line per <see cref="RequestLogOptions.SummaryInterval"/>; the first one after an interval without any is
/// also written in full, so a lone problem shows at once.
/// </summary>
/// <remarks>
/// A line per noted request is a line per request exactly when the app is overloaded (every request slow) or attacked
/// (every request refused): the 2016 rollout's 109 GB of session.log. The per-route counts and durations of every request
/// are on <c>/metrics</c> as ASP.NET Core's <c>http_server_request_duration_seconds</c> histogram. Only route patterns are
/// logged, never a raw path: a session ID in a URL is a credential.
/// </remarks>
public sealed class RequestLog(IOptions<RequestLogOptions> options, TimeProvider time, ILogger<RequestLog> logger) : BackgroundService
{
    /// <summary>Most kinds counted separately in one interval; the rest are counted under <see cref="OtherKinds"/>.</summary>
    public const int MaxKinds = 256;
    public const string OtherKinds = "(other requests)";

    private readonly RequestLogOptions _options = options.Value;
    private readonly Lock _gate = new();
    private Dictionary<string, Tally> _kinds = new(StringComparer.Ordinal);
    private (string Kind, double Milliseconds)? _slowest;
    private long _noted;
    private bool _quiet = true;

    /// <summary>Times the request and notes it once it is answered.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var started = time.GetTimestamp();
        var failed = false;
        try
        {
            await next(context);
        }
        catch
        {
            failed = true;
            throw;
        }
        finally
        {
            Record(context.Request.Method, RouteOf(context), failed ? StatusCodes.Status500InternalServerError : context.Response.StatusCode,
                time.GetElapsedTime(started));
        }
    }

    public static string RouteOf(HttpContext context) => (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";

    /// <summary>Counts one answered request; writes it in full only if it is the first noted request after a quiet interval.</summary>
    public void Record(string method, string route, int status, TimeSpan elapsed)
    {
        var milliseconds = elapsed.TotalMilliseconds;
        var slow = elapsed > _options.SlowThreshold;
        if (!slow && status < 400)
        {
            // Every wiki request comes here: the arguments are boxed only when Debug is on.
            if (logger.IsEnabled(LogLevel.Debug))
                logger.LogDebug("HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms", method, route, status, milliseconds);
            return;
        }

        var kind = $"{method} {route} {status.ToString(CultureInfo.InvariantCulture)}";
        bool first;
        lock (_gate)
        {
            first = ++_noted == 1 && _quiet;
            if (!_kinds.ContainsKey(kind) && _kinds.Count >= MaxKinds) kind = OtherKinds;
            if (!_kinds.TryGetValue(kind, out var tally)) _kinds[kind] = tally = new Tally();
            tally.Count++;
            tally.Status = Math.Max(tally.Status, status);
            if (slow) tally.Slow++;
            if (_slowest is not { } slowest || milliseconds > slowest.Milliseconds) _slowest = (kind, milliseconds);
        }
        if (first)
            logger.Log(status >= 500 ? LogLevel.Warning : LogLevel.Information,
                "HTTP {RequestMethod} {RequestPath} responded {StatusCode} in {Elapsed:0.0} ms; while more slow or refused requests come, they are summarised in one line every {Interval}",
                method, route, status, milliseconds, _options.SummaryInterval);
    }

    /// <summary>
    /// Writes the summary of the interval that just closed, unless it had none or its one noted request was written in
    /// full; returns how many requests it noted.
    /// </summary>
    public long Summarise()
    {
        Dictionary<string, Tally> kinds;
        (string Kind, double Milliseconds)? slowest;
        long noted;
        bool writtenInFull;
        lock (_gate)
        {
            (kinds, slowest, noted, writtenInFull) = (_kinds, _slowest, _noted, _quiet);
            (_kinds, _slowest, _noted, _quiet) = (new Dictionary<string, Tally>(StringComparer.Ordinal), null, 0, _noted == 0);
        }
        if (noted == 0 || noted == 1 && writtenInFull) return noted;

        var byKind = string.Join(", ", kinds.OrderByDescending(k => k.Value.Count).ThenBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => k.Value.Slow == 0 ? $"{k.Key} × {k.Value.Count}" : $"{k.Key} × {k.Value.Count} ({k.Value.Slow} slow)"));
        logger.Log(kinds.Values.Any(t => t.Status >= 500) ? LogLevel.Warning : LogLevel.Information,
            "{Count} slow or refused requests in the last {Interval} (slow: over {Threshold:0} ms): {ByKind}; the slowest, {SlowestRequest}, took {SlowestElapsed:0.0} ms",
            noted, _options.SummaryInterval, _options.SlowThreshold.TotalMilliseconds, byKind, slowest?.Kind, slowest?.Milliseconds);
        return noted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SummaryInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Summarise();
        }
        catch (OperationCanceledException)
        {
        }
        Summarise();
    }

    private sealed class Tally
    {
        public long Count;
        public long Slow;
        public int Status;
    }
}
