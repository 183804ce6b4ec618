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
    IReadOnlyList<string>? Wikis = null)
{
    public const int MaxDetail = 300;
    public const int MaxName = 85;
    public const int MaxWikis = 50;

    /// <summary>
    /// The notice cut to a small size whatever the input it came from (a detail quoting a 500 KB app ID reached every
    /// staff connection): each text at most a few hundred characters, well-formed, and at most <see cref="MaxWikis"/> wikis.
    /// </summary>
    public SessionNotice Bounded() => this with
    {
        Wiki = BoundedText.Cut(Wiki, MaxName),
        SessionHandle = BoundedText.Cut(SessionHandle, MaxName),
        User = BoundedText.Cut(User, MaxName),
        Detail = BoundedText.Cut(Detail, MaxDetail) ?? "",
        TraceId = BoundedText.Cut(TraceId, MaxName),
        Wikis = Wikis is null ? null
            : Wikis.Count > MaxWikis ? [.. Wikis.Take(MaxWikis).Select(w => BoundedText.Cut(w, MaxName)!), $"… and {Wikis.Count - MaxWikis} more"]
            : Wikis.Any(w => w.Length > MaxName) ? Wikis.Select(w => BoundedText.Cut(w, MaxName)!).ToList() : Wikis,
    };
}

/// <summary>Text cut for display and logs: never longer than asked, never a split surrogate pair.</summary>
public static class BoundedText
{
    public static string? Cut(string? text, int max)
    {
        if (text is null) return null;
        var clean = IsWellFormed(text) ? text : Repair(text);
        if (clean.Length <= max) return clean;
        var end = max - 1;
        if (end > 0 && char.IsHighSurrogate(clean[end - 1])) end--;
        return clean[..end] + "…";
    }

    /// <summary>True when <paramref name="text"/> is valid UTF-16: every surrogate is half of a pair.</summary>
    public static bool IsWellFormed(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            return false;
        }
        return true;
    }

    private static string Repair(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            if (char.IsHighSurrogate(c) && i + 1 < source.Length && char.IsLowSurrogate(source[i + 1])) { span[i] = c; span[i + 1] = source[++i]; }
            else span[i] = char.IsSurrogate(c) ? '\uFFFD' : c;
        }
    });
}

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
        notice = notice.Bounded();
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
