using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Metrics;
using WikiSessions.Dashboard.Components.Pages.Overview;
using WikiSessions.Dashboard.Components.Pages.Wikis;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>The charts read like an operator's: gaps where nothing was stored, "now" from the live count, few labels, hover values.</summary>
public class SignalChartTests : ComponentTest
{
    private MetricsQueries Metrics => Ctx.Services.GetRequiredService<MetricsQueries>();
    private MetricsWriter Writer => Ctx.Services.GetRequiredService<MetricsWriter>();

    [Fact]
    public async Task Minutes_in_which_nothing_was_stored_are_gaps_not_zeros()
    {
        await LoginAsync(Alice, "enwiki");
        // One flush writes this minute; then the service stores nothing for four minutes (it was down).
        Time.Advance(TimeSpan.FromSeconds(30));
        await Writer.FlushAsync();
        Time.Advance(TimeSpan.FromMinutes(5));
        await LoginAsync(Bob, "enwiki");
        var series = await Metrics.GroupAsync(null, TimeSpan.FromHours(1));

        var cut = Ctx.Render<SignalChart>(p => p.Add(c => c.Series, series).Add(c => c.Signals, [Signal.Logins]).Add(c => c.Title, "Logins"));
        var plot = cut.Instance.Plot();

        Assert.Equal([1, null, null, null, null, 1], series[Signal.Logins].Values.TakeLast(6));
        // Two points with nothing stored around them: two pieces of line, no zero drawn between them.
        Assert.Equal(2, plot.Lines.Single().Path.Count(c => c == 'M'));
        Assert.Contains(plot.Gaps, g => g.To > plot.Slots[^5].From && g.From < plot.Slots[^2].To);
        Assert.All(plot.Slots.TakeLast(5).Take(4), s => Assert.EndsWith("no data stored", s.Label));
        Assert.EndsWith("Logins 1", plot.Slots[^6].Label);
        Assert.StartsWith("No data stored", cut.Find(".chart-gap title").TextContent);
    }

    [Fact]
    public async Task The_active_chart_ends_on_the_number_the_card_beside_it_shows()
    {
        await LoginAsync(Alice, "testwiki");
        await LoginAsync(Bob, "enwiki");
        // A sample taken before the newest logins: the stored level is behind the live count.
        Time.Advance(TimeSpan.FromSeconds(30));
        await Writer.FlushAsync();
        await LoginAsync(Carol, "enwiki");
        Ctx.Render<MudPopoverProvider>();

        var overview = Ctx.Render<Overview>();
        overview.WaitForAssertion(() => Assert.Equal("3", overview.Find("#total-active").TextContent.Trim()));
        overview.WaitForAssertion(() => Assert.Contains("Active sessions: now 3", overview.Find("#chart-active .chart-totals").TextContent));

        var wiki = Ctx.Render<WikiPage>(p => p.Add(c => c.DbName, "enwiki"));
        wiki.WaitForAssertion(() => Assert.Equal("2", wiki.Find("#wiki-active").TextContent.Trim()));
        wiki.WaitForAssertion(() => Assert.Contains("Active sessions: now 2", wiki.Find("#chart-active .chart-totals").TextContent));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(24)]
    [InlineData(168)]
    public async Task Every_window_prints_a_few_round_time_and_value_labels_and_a_hover_value_per_slot(int hours)
    {
        await LoginAsync(Alice, "enwiki");
        var series = await Metrics.GroupAsync(null, TimeSpan.FromHours(hours));

        var cut = Ctx.Render<SignalChart>(p => p.Add(c => c.Series, series).Add(c => c.Signals, [Signal.Logins]).Add(c => c.Title, "Logins"));

        var times = cut.FindAll(".chart-x-label").Select(l => l.TextContent).ToList();
        Assert.InRange(times.Count, 4, SignalChart.MaxTimeLabels);
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.InRange(cut.FindAll(".chart-y-label").Count, 2, 6);
        var hovers = cut.FindAll(".chart-hover title");
        Assert.Equal(series.Times.Count, hovers.Count);
        Assert.EndsWith("Logins 1", hovers[^1].TextContent);
    }
}
