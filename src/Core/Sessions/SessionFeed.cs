using Microsoft.Extensions.Logging;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>A domain event as the dashboard and the live hub see it. Never carries a session ID.</summary>
public sealed record SessionNotice(
    SessionEventKind Kind,
    DateTimeOffset At,
    string? Wiki,
    string? SessionHandle,
    string? User,
    ProviderKind? Provider,
    string Detail,
    string? TraceId = null,
    EndReason? EndReason = null,
    IReadOnlyList<string>? Wikis = null);

/// <summary>In-process publisher of <see cref="SessionNotice"/>s; subscribers must be quick and never throw back.</summary>
public sealed class SessionFeed(ILogger<SessionFeed> logger)
{
    private readonly Lock _gate = new();
    private Action<SessionNotice>[] _subscribers = [];

    public IDisposable Subscribe(Action<SessionNotice> subscriber)
    {
        lock (_gate) _subscribers = [.. _subscribers, subscriber];
        return new Unsubscriber(() => { lock (_gate) _subscribers = _subscribers.Where(s => s != subscriber).ToArray(); });
    }

    public void Publish(SessionNotice notice)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try { subscriber(notice); }
            catch (Exception ex) { logger.LogWarning(ex, "A session feed subscriber failed on {Kind}", notice.Kind); }
        }
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) dispose(); }
    }
}
