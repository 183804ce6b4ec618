using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WikiSessions.Core.Staff;

/// <summary>
/// Counts failed staff logins; <see cref="StaffHousekeeping"/> logs them as one line per <see cref="StaffLoginOptions.FailureLogInterval"/>,
/// so a password spray costs the log one line a minute, not one per guess.
/// </summary>
public sealed class FailedLoginLog(TimeProvider time, ILogger<FailedLoginLog> logger)
{
    // Names are counted by their quoted, cut form; past this many distinct names the rest are counted together.
    private const int MaxNames = 1000;
    private const int NamesShown = 5;
    private ConcurrentDictionary<string, int> _byName = new();
    private int _total;
    private DateTimeOffset _since = time.GetUtcNow();

    public void Record(string? name)
    {
        Interlocked.Increment(ref _total);
        var names = _byName;
        var key = LogText.Quote(name);
        if (names.Count >= MaxNames && !names.ContainsKey(key)) key = "(other names)";
        names.AddOrUpdate(key, 1, (_, n) => n + 1);
    }

    /// <summary>Logs the failures counted since the last flush, if any, as one line.</summary>
    public void Flush()
    {
        var names = Interlocked.Exchange(ref _byName, new ConcurrentDictionary<string, int>());
        var total = Interlocked.Exchange(ref _total, 0);
        var now = time.GetUtcNow();
        var since = _since;
        _since = now;
        if (total == 0) return;
        var top = string.Join(", ", names.OrderByDescending(n => n.Value).ThenBy(n => n.Key, StringComparer.Ordinal).Take(NamesShown).Select(n => $"{n.Value} for {n.Key}"));
        var more = names.Count > NamesShown ? $" and {names.Count - NamesShown} more names" : "";
        logger.LogWarning("{Failures} failed staff logins in the last {Period:0} s: {ByName}{More}",
            total, (now - since).TotalSeconds, top, more);
    }
}
