namespace WikiSessions.Core.Metrics;

/// <summary>The alerts open now, kept in memory by <see cref="MetricsWriter"/>; the banner and the hub listen here.</summary>
public sealed class AlertBoard
{
    private readonly Lock _gate = new();
    private Action<AlertChange>[] _subscribers = [];

    /// <summary>Open alerts, oldest first.</summary>
    public IReadOnlyList<AlertView> Open { get; private set; } = [];

    public IDisposable Subscribe(Action<AlertChange> subscriber)
    {
        lock (_gate) _subscribers = [.. _subscribers, subscriber];
        return new Unsubscriber(() => { lock (_gate) _subscribers = _subscribers.Where(s => s != subscriber).ToArray(); });
    }

    internal void Set(IReadOnlyList<AlertView> open, IReadOnlyList<AlertView> raised, IReadOnlyList<AlertView> ended)
    {
        Open = open;
        if (raised.Count == 0 && ended.Count == 0) return;
        var change = new AlertChange(open, raised, ended);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try { subscriber(change); }
            catch (Exception) { /* a listener's failure (a closed circuit) must not stop the others */ }
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) dispose(); }
    }
}

/// <summary>What an evaluation changed: the alerts open after it, and those it raised or ended.</summary>
public sealed record AlertChange(IReadOnlyList<AlertView> Open, IReadOnlyList<AlertView> Raised, IReadOnlyList<AlertView> Ended);
