using System.Collections.Concurrent;
using Serilog.Core;
using Serilog.Events;

namespace WikiSessions.Dashboard;

/// <summary>
/// Counts the log lines the service writes at its configured level, by message template: the soak reports them per
/// thousand resolves. The demo farm's own lines are left out: it is the load, not the service.
/// </summary>
public sealed class LogLineCounter : ILogEventSink
{
    private readonly ConcurrentDictionary<string, long> _byTemplate = new();
    private long _lines;

    public long Lines => Interlocked.Read(ref _lines);

    /// <summary>The templates that wrote the most lines, most first.</summary>
    public IReadOnlyList<(string Template, long Lines)> Top(int count) =>
        _byTemplate.OrderByDescending(t => t.Value).Take(count).Select(t => (t.Key, t.Value)).ToList();

    public void Emit(LogEvent logEvent)
    {
        if (logEvent.Properties.TryGetValue("SourceContext", out var source) && source.ToString().StartsWith("\"WikiSessions.Dashboard.Farm", StringComparison.Ordinal)) return;
        Interlocked.Increment(ref _lines);
        _byTemplate.AddOrUpdate(logEvent.MessageTemplate.Text, 1, (_, n) => n + 1);
    }
}
