using Bunit;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Users;

namespace WikiSessions.Dashboard.Tests.Components;

public class UserPageLiveTests : ComponentTest
{
    [Fact]
    public async Task The_user_page_follows_the_users_sessions_without_reloading_and_its_history_shows_seconds()
    {
        await LoginAsync(Alice, "enwiki");
        Ctx.Render<MudPopoverProvider>();
        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));
        page.WaitForAssertion(() => Assert.Single(page.FindAll(".session-list tbody tr")));

        await LoginAsync(Alice, "dewiki");
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll(".session-list tbody tr").Count));

        // Six sessions in one minute are told apart: the history shows seconds.
        Assert.Matches(@"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", page.Find(".user-timeline b").TextContent);
    }

    [Fact]
    public async Task A_session_ended_by_a_logout_on_another_wiki_names_that_wiki_in_the_history()
    {
        var login = await LoginAsync(Alice, "enwiki");
        var central = login.SetCookies.Where(c => c.Host == CentralHost && c.Value != "").ToDictionary(c => c.Name, c => c.Value);
        await ResolveAsync("dewiki", new Dictionary<string, string>(), central);
        await Logouts.LogoutAsync(new LogoutRequest("enwiki", CookiesFor(login.SetCookies, "en.wikipedia.org"), CookiesFor(login.SetCookies, CentralHost),
            LogoutScope.Global, Browser));
        Ctx.Render<MudPopoverProvider>();

        var page = Ctx.Render<UserPage>(p => p.Add(u => u.Name, Alice));

        page.WaitForAssertion(() => Assert.Contains(page.FindAll(".end-reason"),
            e => e.TextContent.Contains("logged out on another wiki") && e.TextContent.Contains("(logout on enwiki)")));
    }
}
