using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Components;
using WikiSessions.Core.Metrics;

namespace WikiSessions.Dashboard.Components.Shared;

/// <summary>
/// Signals over a window as lines, read the way operators read Grafana: a gap where nothing was stored (never a zero
/// that looks like an outage), a few round value and time labels, the value of every slot on hover, and the level's
/// newest point from the live count the page shows beside it.
/// </summary>
public partial class SignalChart
{
    private static readonly string[] Colors = ["#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b"];
    private static readonly TimeSpan[] TimeSteps =
    [
        TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
        TimeSpan.FromHours(2), TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromDays(1),
    ];

    /// <summary>At most this many time labels, whatever the window: a day of 10-minute slots gets eight, not 144.</summary>
    public const int MaxTimeLabels = 8;

    /// <summary>The signals over a window, from <see cref="MetricsQueries"/>.</summary>
    [Parameter, EditorRequired] public MetricSeries Series { get; set; } = default!;

    /// <summary>The signals drawn, one line each, named in the legend.</summary>
    [Parameter, EditorRequired] public IReadOnlyList<Signal> Signals { get; set; } = [];

    /// <summary>The chart's heading.</summary>
    [Parameter, EditorRequired] public string Title { get; set; } = "";

    /// <summary>The active sessions now, as the card beside the chart shows them; the level's newest point and its "now".</summary>
    [Parameter] public long? Now { get; set; }

    /// <summary>The element ID, for tests and screenshots.</summary>
    [Parameter] public string? Id { get; set; }

    public sealed record Line(string Name, string Color, string Path);
    public sealed record Span(double From, double To, string Label);
    public sealed record Tick(double At, string Label);
    public sealed record ChartPlot(IReadOnlyList<Line> Lines, double Top, IReadOnlyList<double> ValueTicks, IReadOnlyList<Tick> TimeTicks,
        IReadOnlyList<Span> Slots, IReadOnlyList<Span> Gaps);

    public string EmptyText => Signals is [Signal.Active]
        // A level, sampled once a minute: a quiet chart may only mean no sample has been taken yet.
        ? $"No active sessions in the samples of the last {WindowName(Series.Window)} (taken once a minute)."
        : $"No {string.Join(" or ", Signals.Select(SessionMetrics.Describe))} in the last {WindowName(Series.Window)}.";

    public static string WindowName(TimeSpan window) =>
        window == TimeSpan.FromHours(1) ? "hour" : window == TimeSpan.FromDays(1) ? "day" : window == TimeSpan.FromDays(7) ? "week" : $"{window.TotalHours:0} hours";

    /// <summary>A signal's values with the level's newest point taken from the live count.</summary>
    private IReadOnlyList<long?> ValuesOf(Signal signal)
    {
        var values = Series[signal].Values;
        if (signal != Signal.Active || Now is not { } now || values.Count == 0) return values;
        return [.. values.Take(values.Count - 1), now];
    }

    private string Summary(Signal signal) => signal == Signal.Active
        ? $"now {Now ?? Series[signal].Total:N0}"
        : $"{Series[signal].Total:N0} in all";

    /// <summary>Everything drawn, in fractions of the plot's width (time) and of its top value.</summary>
    public ChartPlot Plot()
    {
        var times = Series.Times;
        var n = times.Count;
        double X(int i) => n <= 1 ? 0.5 : (double)i / (n - 1);
        var drawn = Signals.Where(s => ValuesOf(s).Any(v => v is not null and not 0)).ToList();
        var max = drawn.SelectMany(ValuesOf).Max(v => v ?? 0);
        var (top, valueTicks) = ValueAxis(max);

        var lines = drawn.Select((signal, k) =>
        {
            var path = new StringBuilder();
            var values = ValuesOf(signal);
            for (var i = 0; i < n; i++)
            {
                if (values[i] is not { } v) continue;
                var point = $"{Num(X(i) * 1000)} {Num(100 * (1 - v / top))}";
                var starts = i == 0 || values[i - 1] is null;
                path.Append(starts ? $"M{point}" : $" L{point}");
                // A point alone between gaps still shows, as a dot (the line's round cap).
                if (starts && (i == n - 1 || values[i + 1] is null)) path.Append(" l0 0");
            }
            return new Line($"{Capitalized(SessionMetrics.Describe(signal))} ({Summary(signal)})", Colors[k % Colors.Length], path.ToString());
        }).ToList();

        var half = n <= 1 ? 0.5 : 0.5 / (n - 1);
        var slots = new List<Span>(n);
        var gaps = new List<Span>();
        for (var i = 0; i < n; i++)
        {
            var values = drawn.Select(s => (Signal: s, Value: ValuesOf(s)[i])).ToList();
            var stored = values.Any(v => v.Value is not null);
            var label = $"{SlotName(i)} · " + (stored
                ? string.Join(" · ", values.Select(v => $"{Capitalized(SessionMetrics.Describe(v.Signal))} {v.Value:N0}"))
                : "no data stored");
            slots.Add(new Span(Math.Max(0, X(i) - half), Math.Min(1, X(i) + half), label));
            if (stored) continue;
            var end = i;
            while (end + 1 < n && drawn.All(s => ValuesOf(s)[end + 1] is null)) end++;
            gaps.Add(new Span(Math.Max(0, X(i) - half), Math.Min(1, X(end) + half), $"{times[i]:HH:mm}–{times[end] + Series.Slot:HH:mm} UTC"));
            for (var j = i + 1; j <= end; j++) slots.Add(new Span(Math.Max(0, X(j) - half), Math.Min(1, X(j) + half), $"{SlotName(j)} · no data stored"));
            i = end;
        }
        return new ChartPlot(lines, top, valueTicks, TimeAxis(times), slots, gaps);
    }

    private string SlotName(int i) => Series.Slot <= TimeSpan.FromMinutes(1)
        ? $"{Series.Times[i]:yyyy-MM-dd HH:mm} UTC"
        : $"{Series.Times[i]:yyyy-MM-dd HH:mm}–{Series.Times[i] + Series.Slot:HH:mm} UTC";

    /// <summary>A round top and at most five labels: steps of 1, 2 or 5 times a power of ten, whole numbers only.</summary>
    public static (double Top, IReadOnlyList<double> Ticks) ValueAxis(long max)
    {
        if (max <= 0) return (1, [0, 1]);
        var rough = Math.Max(1, max / 4.0);
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = new[] { 1, 2, 5, 10 }.Select(m => m * power).First(s => s >= rough);
        step = Math.Max(1, Math.Round(step));
        var top = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (var t = 0.0; t <= top + step / 2; t += step) ticks.Add(t);
        return (top, ticks);
    }

    /// <summary>Round times (UTC) at most <see cref="MaxTimeLabels"/> apart across the window, at their place on the axis.</summary>
    public static IReadOnlyList<Tick> TimeAxis(IReadOnlyList<DateTimeOffset> times)
    {
        if (times.Count < 2) return times.Select(t => new Tick(0.5, $"{t:HH:mm}")).ToList();
        var (first, last) = (times[0], times[^1]);
        var span = last - first;
        var step = TimeSteps.FirstOrDefault(s => span / s <= MaxTimeLabels, TimeSpan.FromDays(1));
        var ticks = new List<Tick>();
        var at = new DateTimeOffset(first.UtcTicks - first.UtcTicks % step.Ticks, TimeSpan.Zero);
        if (at < first) at += step;
        for (; at <= last; at += step)
        {
            var label = step >= TimeSpan.FromDays(1) ? at.ToString("ddd d MMM", CultureInfo.InvariantCulture)
                : at.TimeOfDay == TimeSpan.Zero && span > TimeSpan.FromHours(2) ? at.ToString("ddd HH:mm", CultureInfo.InvariantCulture)
                : at.ToString("HH:mm", CultureInfo.InvariantCulture);
            ticks.Add(new Tick((at - first) / span, label));
        }
        return ticks;
    }

    private string AriaLabel(ChartPlot plot) =>
        $"{Title}, last {WindowName(Series.Window)}: {string.Join("; ", plot.Lines.Select(l => l.Name))}" + (plot.Gaps.Count > 0 ? $"; no data stored {string.Join(", ", plot.Gaps.Select(g => g.Label))}" : "");

    private static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Pct(double fraction) => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    private static string Capitalized(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
