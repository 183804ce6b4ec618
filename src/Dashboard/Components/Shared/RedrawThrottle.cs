namespace WikiSessions.Dashboard.Components.Shared;

/// <summary>
/// Coalesces bursts of "something changed" into at most one redraw per interval, however fast they come:
/// the first change redraws at once, later ones within the interval are folded into one redraw at its end.
/// </summary>
public sealed class RedrawThrottle : IDisposable
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Func<Task> _redraw;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private bool _disposed;

    /// <param name="redraw">Runs on a timer thread; a component passes <c>() => InvokeAsync(...)</c>.</param>
    public RedrawThrottle(TimeProvider time, TimeSpan interval, Func<Task> redraw)
    {
        _time = time;
        _interval = interval;
        _redraw = redraw;
    }

    /// <summary>How many redraws have run; for tests and diagnostics.</summary>
    public int Redraws { get; private set; }

    /// <summary>Something changed: redraw now, or once at the end of the current interval.</summary>
    public void Poke()
    {
        lock (_gate)
        {
            if (_disposed || _timer is not null) return;
            var wait = _last + _interval - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                _timer = _time.CreateTimer(_ => Fire(), null, wait, Timeout.InfiniteTimeSpan);
                return;
            }
            Mark();
        }
        _ = RunAsync();
    }

    private void Fire()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            if (_disposed) return;
            Mark();
        }
        _ = RunAsync();
    }

    private void Mark()
    {
        _last = _time.GetUtcNow();
        Redraws++;
    }

    private async Task RunAsync()
    {
        try { await _redraw(); }
        catch (ObjectDisposedException) { } // the page went away mid-redraw
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer?.Dispose();
            _timer = null;
        }
    }
}
