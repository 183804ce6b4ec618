using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Metrics;
using WikiSessions.Dashboard.Components.Layout;
using WikiSessions.Dashboard.Components.Pages.Wikis;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>The charts' data and empty states, the alert banner, and a wiki's own page.</summary>
public class OperationsViewTests : ComponentTest
{
    private MetricsQueries Metrics => Ctx.Services.GetRequiredService<MetricsQueries>();
    private MetricsWriter Writer => Ctx.Services.GetRequiredService<MetricsWriter>();

    [Fact]
    public async Task A_chart_draws_one_named_line_per_signal_that_happened_on_a_real_time_axis()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Bob, "enwiki");
        var series = await Metrics.GroupAsync(DeploymentGroup.Group2, TimeSpan.FromHours(1));

        var cut = Ctx.Render<SignalChart>(p => p.Add(c => c.Series, series).Add(c => c.Signals, [Signal.Logins, Signal.Logouts]).Add(c => c.Title, "Logins"));

        var logins = Assert.Single(cut.Instance.Plot().Lines);
        Assert.Equal("Logins (2 in all)", logins.Name);
        Assert.Single(cut.FindAll(".chart-line"));
        Assert.Equal(60, cut.FindAll(".chart-hover").Count);
        Assert.Empty(cut.FindAll(".chart-empty"));
    }

    [Theory]
    [InlineData(1, "No resurrections in the last hour.")]
    [InlineData(24, "No resurrections in the last day.")]
    [InlineData(168, "No resurrections in the last week.")]
    public async Task A_chart_with_nothing_to_draw_says_so_in_words(int hours, string expected)
    {
        await LoginAsync(Alice, "enwiki"); // other signals do not count for this chart
        var series = await Metrics.GroupAsync(null, TimeSpan.FromHours(hours));

        var cut = Ctx.Render<SignalChart>(p => p.Add(c => c.Series, series).Add(c => c.Signals, [Signal.Resurrections]).Add(c => c.Title, "Resurrections"));

        Assert.Equal(expected, cut.Find(".chart-empty").TextContent.Trim());
        Assert.Empty(cut.FindAll(".chart-plot"));
    }

    [Fact]
    public async Task The_banner_appears_when_an_alert_is_raised_and_goes_when_it_ends()
    {
        var cut = Ctx.Render<AlertBanner>();
        Assert.Empty(cut.FindAll("#alert-banner"));

        Ctx.Services.GetRequiredService<SessionMetrics>().Count("testwiki", Signal.Resurrections);
        await Writer.EvaluateAsync();
        cut.WaitForAssertion(() => Assert.Contains("resurrections in group0", cut.Find("#alert-banner").TextContent));
        Assert.Contains("/alerts", cut.Find("#alert-banner a").GetAttribute("href"));

        await Writer.FlushAsync();
        Time.Advance(TimeSpan.FromMinutes(12));
        await Writer.EvaluateAsync();
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("#alert-banner")));
    }

    [Fact]
    public async Task A_wikis_page_shows_its_sessions_providers_charts_and_its_groups_alerts()
    {
        await LoginAsync(Alice, "testwiki");
        Ctx.Services.GetRequiredService<SessionMetrics>().Count("testwiki", Signal.Resurrections);
        await Writer.EvaluateAsync();
        Ctx.Render<MudPopoverProvider>();

        var cut = Ctx.Render<WikiPage>(p => p.Add(c => c.DbName, "testwiki"));

        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("#wiki-active").TextContent.Trim()));
        Assert.Contains("cookie 1", cut.Find("#wiki-providers").TextContent);
        Assert.Contains("resurrections", cut.Find(".alert-list").TextContent);
        cut.WaitForAssertion(() => Assert.Contains("Logins: 1 in all", cut.Find("#chart-traffic").TextContent));
        Assert.Single(cut.FindAll(".session-list tbody tr"));
    }

    [Fact]
    public void A_wiki_that_does_not_exist_gets_a_clear_message()
    {
        var cut = Ctx.Render<WikiPage>(p => p.Add(c => c.DbName, "nosuchwiki"));
        cut.WaitForAssertion(() => Assert.Contains("No wiki is called “nosuchwiki”", cut.Markup));
    }
}
