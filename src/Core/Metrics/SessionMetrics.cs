using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Metrics;

/// <summary>What the operations view counts per wiki. <see cref="Active"/> is a level sampled each minute; the others are counts.</summary>
public enum Signal
{
    Active,
    Logins,
    Logouts,
    AutoLogins,
    Resurrections,
    Rejections,
    Refusals,
    StoreFailures,
    Reads,
    Writes,
    Deletes,
    Misses,
    BytesWritten,
    /// <summary>Writes to the MediaWiki store refused as too large a value (413) or past the wiki's quota (507).</summary>
    RefusedWrites,
}

/// <summary>
/// Counts the farm's signals per wiki where they happen, at no cost the hot paths would notice: an increment of a
/// per-wiki array (lock-free) and of an OpenTelemetry counter. <see cref="MetricsWriter"/> drains the arrays into
/// per-minute buckets once a minute; nothing here touches the store.
/// </summary>
public sealed class SessionMetrics : IDisposable
{
    public const string MeterName = "WikiSessions";
    /// <summary>Most wikis counted separately before the farm is known; the rest are counted under <see cref="OtherWikis"/>.</summary>
    public const int MaxTrackedWikis = 2048;
    public const string OtherWikis = StoreHealth.OtherWikis;

    public static readonly Signal[] Counted = Enum.GetValues<Signal>().Where(s => s != Signal.Active).ToArray();
    private static readonly int SignalCount = Enum.GetValues<Signal>().Length;

    // One meter per instance (disposed with it), so two apps in one process, as in the tests, never share instruments.
    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long>?[] _counters;
    private readonly Counter<long> _ended;

    /// <summary>This instance's meter: two apps in one process each have one of this name, and a listener tells them apart by it.</summary>
    public Meter Meter => _meter;

    private readonly ConcurrentDictionary<string, long[]> _counts = new(StringComparer.Ordinal);
    private readonly IDisposable _subscription;
    private FrozenDictionary<string, string> _groups = FrozenDictionary<string, string>.Empty;
    private IReadOnlyDictionary<string, long> _active = new Dictionary<string, long>();
    public SessionMetrics(SessionFeed feed)
    {
        _subscription = feed.Subscribe(Observe);
        _counters = Enum.GetValues<Signal>()
            .Select(s => s == Signal.Active ? null : _meter.CreateCounter<long>(InstrumentName(s), s == Signal.BytesWritten ? "By" : null, Describe(s)))
            .ToArray();
        _meter.CreateObservableGauge(InstrumentName(Signal.Active), ObserveActive, null, Describe(Signal.Active));
        _ended = _meter.CreateCounter<long>("wikisessions.sessions.ended", null, "Sessions ended, by the reason the store records (docs/api-contract.md, End reasons).");
    }

    /// <summary>Counts sessions ended for <paramref name="reason"/>, labelled with its wire name, once the end is committed.</summary>
    public void CountEnded(EndReason reason, int sessions)
    {
        if (sessions > 0) _ended.Add(sessions, new KeyValuePair<string, object?>("reason", WireNames.Of(reason)));
    }

    /// <summary>The instrument's name as exported (Prometheus turns the dots into underscores and adds <c>_total</c> to counters).</summary>
    public static string InstrumentName(Signal signal) => "wikisessions." + signal switch
    {
        Signal.Active => "sessions.active",
        Signal.Logins => "logins",
        Signal.Logouts => "logouts",
        Signal.AutoLogins => "autologins",
        Signal.Resurrections => "resurrections",
        Signal.Rejections => "metadata.rejections",
        Signal.Refusals => "refusals",
        Signal.StoreFailures => "store.failed_requests",
        Signal.Reads => "mediawiki.reads",
        Signal.Writes => "mediawiki.writes",
        Signal.Deletes => "mediawiki.deletes",
        Signal.Misses => "mediawiki.misses",
        Signal.BytesWritten => "mediawiki.written",
        Signal.RefusedWrites => "mediawiki.refused_writes",
        _ => signal.ToString().ToLowerInvariant(),
    };

    /// <summary>The signal in words, for legends and empty states ("no resurrections in the last hour").</summary>
    public static string Describe(Signal signal) => signal switch
    {
        Signal.Active => "active sessions",
        Signal.Logins => "logins",
        Signal.Logouts => "logouts",
        Signal.AutoLogins => "auto-logins",
        Signal.Resurrections => "resurrections",
        Signal.Rejections => "metadata rejections",
        Signal.Refusals => "refusals",
        Signal.StoreFailures => "store failures",
        Signal.Reads => "MediaWiki store reads",
        Signal.Writes => "MediaWiki store writes",
        Signal.Deletes => "MediaWiki store deletes",
        Signal.Misses => "MediaWiki store misses",
        Signal.BytesWritten => "bytes written to the MediaWiki store",
        Signal.RefusedWrites => "MediaWiki store writes refused as too large or over quota",
        _ => signal.ToString(),
    };

    /// <summary>The signal a notice of the engine counts as; store failures are counted where they happen, not from their notices.</summary>
    public static Signal? SignalOf(SessionEventKind kind) => kind switch
    {
        SessionEventKind.Created => Signal.Logins,
        SessionEventKind.AutoLogin => Signal.AutoLogins,
        SessionEventKind.LogoutTraceFinished => Signal.Logouts,
        SessionEventKind.Resurrection => Signal.Resurrections,
        SessionEventKind.MetadataRejected => Signal.Rejections,
        SessionEventKind.Refused => Signal.Refusals,
        _ => null,
    };

    /// <summary>Counts <paramref name="by"/> of <paramref name="signal"/> on <paramref name="wiki"/>.</summary>
    public void Count(string? wiki, Signal signal, long by = 1)
    {
        if (signal == Signal.Active || by == 0) return;
        wiki = Tracked(wiki);
        var counts = _counts.TryGetValue(wiki, out var found) ? found : _counts.GetOrAdd(wiki, _ => new long[SignalCount]);
        Interlocked.Add(ref counts[(int)signal], by);
        var counter = _counters[(int)signal]!;
        if (counter.Enabled)
            counter.Add(by, new KeyValuePair<string, object?>("wiki", wiki), new KeyValuePair<string, object?>("group", _groups.GetValueOrDefault(wiki, "unknown")));
    }

    /// <summary>A write to the MediaWiki store of <paramref name="bytes"/> bytes.</summary>
    public void CountWrite(string wiki, long bytes)
    {
        Count(wiki, Signal.Writes);
        Count(wiki, Signal.BytesWritten, bytes);
    }

    private void Observe(SessionNotice notice)
    {
        if (SignalOf(notice.Kind) is { } signal) Count(notice.Wiki, signal);
    }

    private string Tracked(string? wiki)
    {
        if (string.IsNullOrEmpty(wiki)) return OtherWikis;
        var groups = _groups;
        if (groups.Count > 0) return groups.ContainsKey(wiki) ? wiki : OtherWikis;
        return _counts.ContainsKey(wiki) || _counts.Count < MaxTrackedWikis ? wiki : OtherWikis;
    }

    /// <summary>The farm's wikis and their deployment groups (as the API spells them): names outside it count as <see cref="OtherWikis"/>.</summary>
    public void UseFarm(IEnumerable<Wiki> wikis) =>
        _groups = wikis.ToFrozenDictionary(w => w.DbName, w => WireNames.Of(w.Group), StringComparer.Ordinal);

    /// <summary>The last sampled active sessions per wiki, for the gauge.</summary>
    public void SetActive(IReadOnlyDictionary<string, long> active) => _active = active;

    /// <summary>Takes the counts since the last drain and zeroes them; a count that lands meanwhile goes to the next drain, never lost.</summary>
    public IReadOnlyDictionary<string, long[]> Drain() => Read(zero: true);

    /// <summary>The counts since the last drain, left in place: the current minute that alerts look at before it is written.</summary>
    public IReadOnlyDictionary<string, long[]> Peek() => Read(zero: false);

    /// <summary>Puts drained counts back (their write failed), to be written with the next drain.</summary>
    public void Return(IReadOnlyDictionary<string, long[]> drained)
    {
        foreach (var (wiki, counts) in drained)
        {
            var target = _counts.GetOrAdd(wiki, _ => new long[SignalCount]);
            for (var i = 0; i < counts.Length; i++) Interlocked.Add(ref target[i], counts[i]);
        }
    }

    private Dictionary<string, long[]> Read(bool zero)
    {
        var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (wiki, counts) in _counts)
        {
            var copy = new long[SignalCount];
            var any = false;
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] = zero ? Interlocked.Exchange(ref counts[i], 0) : Interlocked.Read(ref counts[i]);
                any |= copy[i] != 0;
            }
            if (any) result[wiki] = copy;
        }
        return result;
    }

    private IEnumerable<Measurement<long>> ObserveActive()
    {
        var groups = _groups;
        foreach (var (wiki, count) in _active)
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("wiki", wiki), new KeyValuePair<string, object?>("group", groups.GetValueOrDefault(wiki, "unknown")));
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _meter.Dispose();
    }
}
