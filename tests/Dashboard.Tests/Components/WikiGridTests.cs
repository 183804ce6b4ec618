using Bunit;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Dashboard.Components.Pages.Overview;

namespace WikiSessions.Dashboard.Tests.Components;

public class WikiGridTests : ComponentTest
{
    [Fact]
    public async Task The_wiki_table_pages_sorts_and_searches_all_wikis_on_the_server()
    {
        var wikis = await FarmQueries.WikisAsync();
        Assert.True(wikis.Count > 1000);

        var page = WikiPaging.Page(wikis, null, new GridState<WikiOverview> { Page = 2, PageSize = 15 });
        Assert.Equal(wikis.Count, page.TotalItems);
        Assert.Equal(15, page.Items.Count());

        var sorted = WikiPaging.Page(wikis, null, new GridState<WikiOverview>
        {
            Page = 0, PageSize = 5, SortDefinitions = [new SortDefinition<WikiOverview>(nameof(WikiOverview.Wiki), true, 0, w => w.Wiki)],
        });
        Assert.Equal(wikis.Select(w => w.Wiki).OrderDescending().First(), sorted.Items.First().Wiki);

        var found = WikiPaging.Page(wikis, "en.wikipedia", new GridState<WikiOverview> { Page = 0, PageSize = 15 });
        Assert.Contains(found.Items, w => w.Wiki == "enwiki");
        Assert.True(found.TotalItems < 15);
    }

    [Fact]
    public async Task The_grid_shows_one_page_and_a_pager_over_every_wiki()
    {
        var wikis = await FarmQueries.WikisAsync();
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<WikiGrid>(p => p.Add(g => g.Wikis, wikis));

        cut.WaitForAssertion(() => Assert.Equal(15, cut.FindAll("#wiki-grid tbody tr").Count));
        Assert.Contains(wikis.Count.ToString("N0"), cut.Find(".mud-table-pagination").TextContent);

        cut.Find("input#wiki-search").Input("dewiki");
        Time.Advance(TimeSpan.FromSeconds(1)); // MudBlazor debounces on the TimeProvider
        cut.WaitForAssertion(() => Assert.Contains("dewiki", cut.Find("#wiki-grid tbody").TextContent));
        Assert.True(cut.FindAll("#wiki-grid tbody tr").Count < 15);
    }
}
