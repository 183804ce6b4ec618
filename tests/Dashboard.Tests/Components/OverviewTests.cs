using Bunit;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Overview;

namespace WikiSessions.Dashboard.Tests.Components;

public class OverviewTests : ComponentTest
{
    private IRenderedComponent<Overview> RenderOverview()
    {
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<Overview>();
        cut.WaitForAssertion(() => cut.Find("#total-active"));
        return cut;
    }

    [Fact]
    public async Task Shows_active_sessions_of_the_farm_per_group_and_by_provider()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Bob, "dewiki");

        var cut = RenderOverview();

        Assert.Equal("2", cut.Find("#total-active").TextContent.Trim());
        Assert.Contains("cookie 2", cut.Markup);
        Assert.Equal("2", cut.Find("#active-group2").TextContent.Trim());
        Assert.Contains("group0", cut.Markup);
    }

    [Fact]
    public async Task The_count_follows_the_live_feed_without_reloading()
    {
        var cut = RenderOverview();
        Assert.Equal("0", cut.Find("#total-active").TextContent.Trim());

        await LoginAsync(Carol, "frwiki");

        cut.WaitForAssertion(() => Assert.Equal("1", cut.Find("#total-active").TextContent.Trim()));
        cut.WaitForAssertion(() => Assert.Contains("Created", cut.Find("#live-feed").TextContent));
    }

    [Fact]
    public void A_burst_of_events_redraws_once_at_once_and_once_more_after_a_second()
    {
        var cut = RenderOverview();
        Feed.Publish(Notice(0));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll(".feed-item")));

        for (var i = 1; i < 50; i++) Feed.Publish(Notice(i));

        // The clock has not moved: the other 49 wait for the end of the second, however fast they came.
        Assert.Single(cut.FindAll(".feed-item"));
        Time.Advance(TimeSpan.FromSeconds(1));
        cut.WaitForAssertion(() => Assert.Equal(50, cut.FindAll(".feed-item").Count));
    }

    [Fact]
    public void The_live_feed_can_be_paused_and_filtered()
    {
        var cut = RenderOverview();
        Feed.Publish(Notice(0, wiki: "enwiki"));
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll(".feed-item")));

        cut.Find("#feed-pause").Click();
        Time.Advance(TimeSpan.FromSeconds(2));
        Feed.Publish(Notice(1, wiki: "dewiki"));
        cut.WaitForAssertion(() => Assert.Contains("1 newer events", cut.Find("#feed-paused").TextContent));
        Assert.Single(cut.FindAll(".feed-item"));

        cut.Find("#feed-pause").Click();
        Assert.Equal(2, cut.FindAll(".feed-item").Count);
        cut.Find("input#feed-text").Input("dewiki");
        cut.WaitForAssertion(() => Assert.Contains("dewiki", Assert.Single(cut.FindAll(".feed-item")).TextContent));
    }

    [Fact]
    public void A_quiet_farm_says_in_words_that_nothing_went_wrong_instead_of_drawing_empty_bars()
    {
        var cut = RenderOverview();
        cut.WaitForAssertion(() => Assert.Contains("No resurrections or metadata rejections or refusals or store failures in the last hour",
            cut.Find("#chart-trouble").TextContent));
        Assert.Empty(cut.FindAll("#chart-trouble .chart-plot"));
    }

    [Fact]
    public async Task Logins_are_charted_over_time_from_the_live_minute_before_any_bucket_is_written()
    {
        await LoginAsync(Alice, "enwiki");
        var cut = RenderOverview();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("#chart-traffic .chart-line")));
        Assert.Contains("Logins: 1 in all · Logouts: 0 in all", cut.Find("#chart-traffic .chart-totals").TextContent);
    }

    [Fact]
    public void Each_wiki_in_the_table_links_to_its_own_page()
    {
        var cut = RenderOverview();
        cut.WaitForAssertion(() => Assert.Contains(cut.FindAll("a.wiki-link"), a => a.GetAttribute("href") == "/wikis/aawiki"));
    }

    private SessionNotice Notice(int i, string wiki = "enwiki") =>
        new(SessionEventKind.Created, Time.GetUtcNow(), wiki, $"handle{i:D4}", $"User {i}", ProviderKind.Cookie, $"event {i}");
}
