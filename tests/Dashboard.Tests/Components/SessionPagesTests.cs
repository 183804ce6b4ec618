using System.Text;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.MediaWiki;
using MudBlazor;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Sessions;

namespace WikiSessions.Dashboard.Tests.Components;

public class SessionPagesTests : ComponentTest
{
    [Fact]
    public async Task The_explorer_filters_on_the_server_and_exports_the_same_filter_as_csv()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Bob, "dewiki");
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<SessionsExplorer>();
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("#sessions-grid tbody tr").Count));

        cut.Find("input#filter-wiki").Change("dewiki");
        cut.Find("input#filter-ip").Change("198.51.100.0/24");
        await cut.Find("#filter-apply").ClickAsync(new());

        cut.WaitForAssertion(() => Assert.Contains(Bob, Assert.Single(cut.FindAll("#sessions-grid tbody tr")).TextContent));
        Assert.Equal("/api/v1/admin/sessions.csv?wiki=dewiki&ip=198.51.100.0%2F24", cut.Find("#export-csv").GetAttribute("href"));
    }

    [Fact]
    public async Task A_filter_the_store_refuses_is_explained_in_words()
    {
        var snackbars = Ctx.Render<MudSnackbarProvider>();
        Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<SessionsExplorer>();
        cut.Find("input#filter-ip").Change("198.51.100.0/99");
        await cut.Find("#filter-apply").ClickAsync(new());
        snackbars.WaitForAssertion(() => Assert.Contains("is not a CIDR block", snackbars.Markup));
    }

    [Fact]
    public async Task Session_detail_shows_provider_cookies_events_and_metadata_diffs_with_conflicting_keys_highlighted()
    {
        var alice = await LoginAsync(Alice);
        var bob = await LoginAsync(Bob);
        var handle = await HandleOfAsync(Alice);
        var mixed = CookiesFor(alice.SetCookies, "en.wikipedia.org");
        mixed["enwikiUserID"] = CookiesFor(bob.SetCookies, "en.wikipedia.org")["enwikiUserID"];
        mixed["enwikiUserName"] = Bob;
        Assert.Null((await ResolveAsync("enwiki", mixed)).Session);

        var cut = Ctx.Render<SessionDetailPage>(p => p.Add(d => d.Handle, handle));

        cut.WaitForAssertion(() => Assert.Contains("cookie (priority 40) resolved it", cut.Find("#provider-explanation").TextContent));
        Assert.Contains("enwiki_session", cut.Markup);
        Assert.Contains("MetadataRejected", cut.Markup);
        var conflicts = cut.FindAll(".metadata-diff tr.conflict");
        Assert.Equal(2, conflicts.Count);
        Assert.Contains(conflicts, r => r.TextContent.Contains("userName") && r.TextContent.Contains(Alice) && r.TextContent.Contains(Bob));
        Assert.Equal("Ended", cut.Find("#session-state").TextContent);
        Assert.Empty(cut.FindAll("#revoke-session")); // nothing left to revoke
    }

    [Fact]
    public async Task A_CentralAuth_sessions_page_names_the_wiki_that_last_wrote_its_central_value()
    {
        var store = Ctx.Services.GetRequiredService<MediaWikiStore>();
        var directory = Ctx.Services.GetRequiredService<FarmDirectory>();
        var (en, de) = ((await directory.FindAsync("enwiki", default))!, (await directory.FindAsync("dewiki", default))!);
        var expires = Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds();
        var central = Encoding.UTF8.GetBytes($"JSON..{{\"sessionId\":\"c0de\",\"user\":\"{Carol}\",\"token\":\"t0k1\",\"expiry\":{expires}}}");
        var local = Encoding.UTF8.GetBytes("JSON..{\"data\":{\"CentralAuth::centralSessionId\":\"c0de\"},\"metadata\":{\"provider\":\"CentralAuthSessionProvider\"," +
            $"\"userId\":3,\"userName\":\"{Carol}\",\"userToken\":\"t0k1\",\"remember\":false,\"expires\":{expires},\"persisted\":true}}}}");
        await store.PutAsync(await store.KeyAsync(en, "centralauth:session:c0de", default), central, default);
        await store.PutAsync(await store.KeyAsync(en, "enwiki:MWSession:en1", default), local, default);
        // Every wiki of the farm writes the central keys: dewiki wrote it last.
        await store.PutAsync(await store.KeyAsync(de, "centralauth:session:c0de", default), central, default);

        var handle = await HandleOfAsync(Carol);
        var cut = Ctx.Render<SessionDetailPage>(p => p.Add(d => d.Handle, handle));

        cut.WaitForAssertion(() => Assert.EndsWith("its value was last written by dewiki", cut.Find("#session-central").TextContent.Trim()));
    }

    [Fact]
    public async Task Stewards_can_revoke_an_active_session_from_its_page_and_support_cannot()
    {
        await LoginAsync(Alice);
        var handle = await HandleOfAsync(Alice);
        var steward = Ctx.Render<SessionDetailPage>(p => p.Add(d => d.Handle, handle));
        steward.WaitForAssertion(() => steward.Find("#revoke-session"));

        await SignInAsync("support");
        var support = Ctx.Render<SessionDetailPage>(p => p.Add(d => d.Handle, handle));
        support.WaitForAssertion(() => Assert.Equal("Active", support.Find("#session-state").TextContent));
        Assert.Empty(support.FindAll("#revoke-session"));
    }

    [Fact]
    public void An_unknown_handle_says_the_session_may_have_been_swept()
    {
        var cut = Ctx.Render<SessionDetailPage>(p => p.Add(d => d.Handle, "0000000000000000"));
        cut.WaitForAssertion(() => Assert.Contains("swept", cut.Markup));
    }
}
