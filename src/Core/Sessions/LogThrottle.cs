namespace WikiSessions.Core.Sessions;

/// <summary>
/// One log line per kind of failure per interval: the first with its exception, the rest counted and summarised.
/// A store outage fails every request; logging each with its stack trace once filled 109 GB of disk.
/// </summary>
public sealed class LogThrottle(TimeProvider time, TimeSpan interval)
{
    /// <summary>Most kinds tracked at once; past this, new kinds share one entry.</summary>
    public const int MaxKinds = 256;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public TimeSpan Interval => interval;

    /// <summary>
    /// Counts a failure of <paramref name="kind"/>; true when it opens a new interval and should be logged in full.
    /// <paramref name="summary"/> is how many failures of the kind were held back in the interval that just closed.
    /// </summary>
    public bool Count(string kind, out long summary)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_windows.ContainsKey(kind) && _windows.Count >= MaxKinds) kind = "(other kinds)";
            if (_windows.TryGetValue(kind, out var window) && now - window.Start < interval)
            {
                window.Held++;
                summary = 0;
                return false;
            }
            summary = window?.Held ?? 0;
            _windows[kind] = new Window(now);
            return true;
        }
    }

    /// <summary>The kinds whose interval has closed, with how many failures each held back; they start afresh.</summary>
    public IReadOnlyList<(string Kind, long Held)> TakeClosed()
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var closed = _windows.Where(w => now - w.Value.Start >= interval).ToList();
            foreach (var (kind, _) in closed) _windows.Remove(kind);
            return closed.Where(w => w.Value.Held > 0).Select(w => (w.Key, w.Value.Held)).ToList();
        }
    }

    private sealed class Window(DateTimeOffset start)
    {
        public DateTimeOffset Start { get; } = start;
        public long Held { get; set; }
    }
}
