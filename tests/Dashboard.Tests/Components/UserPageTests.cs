using Bunit;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Users;

namespace WikiSessions.Dashboard.Tests.Components;

public class UserPageTests : ComponentTest
{
    private IRenderedComponent<UserPage> RenderUser(string? name)
    {
        Ctx.Render<MudPopoverProvider>();
        return Ctx.Render<UserPage>(p => p.Add(u => u.Name, name));
    }

    [Fact]
    public async Task Shows_the_account_its_grants_active_sessions_and_history_with_end_reasons_in_plain_words()
    {
        await LoginAsync(Alice, "enwiki");
        await LoginAsync(Alice, "dewiki");
        await Admin.RevokeSessionAsync(new("steward", Core.Domain.StaffRole.Steward), await FirstHandleAsync("dewiki"), "test");

        var cut = RenderUser(Alice);

        cut.WaitForAssertion(() => Assert.Equal(Alice, cut.Find("#user-name").TextContent));
        Assert.Contains("sandboxbot", cut.Find("#bot-passwords").TextContent);
        Assert.NotEmpty(cut.FindAll("#oauth-grants tbody tr"));
        Assert.Single(cut.FindAll(".session-list tbody tr"));
        Assert.Contains("enwiki", cut.Find(".session-list").TextContent);
        Assert.Contains("Revoked by a steward.", cut.Find(".user-timeline").TextContent);
        Assert.Contains("attached to", cut.Markup);
    }

    [Fact]
    public async Task A_user_without_a_central_session_is_told_how_one_starts()
    {
        await Sessions.LoginAsync(new LoginRequest("enwiki", Alice, Core.Domain.ProviderKind.BotPassword, false, "sandboxbot", null, Browser));

        var cut = RenderUser(Alice);

        cut.WaitForAssertion(() => Assert.Contains("No active central session", cut.Find("#central-none").TextContent));
        Assert.Empty(cut.FindAll(".central-session"));
        Assert.Empty(cut.FindAll("#central-ended"));
    }

    [Fact]
    public async Task A_central_session_lists_the_wikis_logged_in_through_it_with_links_to_their_sessions()
    {
        var login = await LoginAsync(Bob, "enwiki");
        var onDe = await ResolveAsync("dewiki", new Dictionary<string, string>(), CookiesFor(login.SetCookies, CentralHost));
        Assert.True(onDe.AutoLogin);
        var sessions = (await UserQueries.UserAsync(Bob)).ActiveSessions;
        var central = Assert.Single((await UserQueries.UserAsync(Bob)).CentralSessions);

        var cut = RenderUser(Bob);

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll(".central-session")));
        var card = cut.Find($"#central-{central.Handle}");
        Assert.Contains(central.Handle, card.TextContent);
        Assert.Contains("last written", card.TextContent);
        var links = card.QuerySelectorAll("a.linked-session").Select(a => (Text: a.TextContent, Href: a.GetAttribute("href"))).ToList();
        Assert.Equal(["dewiki", "enwiki"], links.Select(l => l.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]));
        foreach (var wiki in new[] { "enwiki", "dewiki" })
            Assert.Contains(($"/sessions/{sessions.Single(s => s.Wiki == wiki).Handle}"), links.Select(l => l.Href));
        Assert.Empty(cut.FindAll("#central-none"));
    }

    [Fact]
    public async Task An_ended_central_session_says_why_and_links_to_the_logout_that_ended_it()
    {
        var login = await LoginAsync(Bob, "enwiki");
        var central = Assert.Single((await UserQueries.UserAsync(Bob)).CentralSessions).Handle;
        Time.Advance(TimeSpan.FromMinutes(1));
        var logout = await Logouts.LogoutAsync(new LogoutRequest("enwiki", CookiesFor(login.SetCookies, "en.wikipedia.org"),
            CookiesFor(login.SetCookies, CentralHost), LogoutScope.Global, Browser));

        var cut = RenderUser(Bob);

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("#central-none")));
        Assert.Empty(cut.FindAll(".central-session"));
        var row = Assert.Single(cut.FindAll("#central-ended tbody tr"));
        Assert.Contains(central, row.TextContent);
        Assert.Contains("logged out", row.TextContent);
        Assert.Equal($"/traces/{logout.TraceId}", row.QuerySelector("a.central-trace")!.GetAttribute("href"));
    }

    [Fact]
    public async Task Refused_logins_say_why_the_user_cannot_get_in()
    {
        await Assert.ThrowsAsync<SessionException>(() =>
            Sessions.LoginAsync(new LoginRequest("enwiki", Carol, Core.Domain.ProviderKind.BotPassword, false, "no-such-bot", null, Browser)));

        var cut = RenderUser(Carol);

        cut.WaitForAssertion(() => Assert.Contains("Carol@no-such-bot is not a bot password", cut.Find("#refused-logins").TextContent));
        Assert.Contains("enwiki", cut.Find("#refused-logins").TextContent);
    }

    [Fact]
    public async Task A_long_history_loads_older_sessions_on_demand()
    {
        for (var i = 0; i < 103; i++) await LoginAsync(Carol, "frwiki");

        var cut = RenderUser(Carol);

        cut.WaitForAssertion(() => Assert.Contains("3 more", cut.Find("#history-older").TextContent));
        Assert.Equal(100, cut.FindAll(".user-timeline a.mono").Count);
        await cut.Find("#history-older").ClickAsync(new());
        cut.WaitForAssertion(() => Assert.Equal(103, cut.FindAll(".user-timeline a.mono").Count));
        Assert.Empty(cut.FindAll("#history-older"));
    }

    [Fact]
    public async Task Stewards_see_the_action_buttons()
    {
        await LoginAsync(Bob);
        var cut = RenderUser(Bob);
        cut.WaitForAssertion(() => cut.Find("#invalidate-user"));
        Assert.NotEmpty(cut.FindAll("#prevent-user"));
        Assert.NotEmpty(cut.FindAll(".revoke-session"));
        Assert.Empty(cut.FindAll("#read-only"));
    }

    [Theory]
    [InlineData("support")]
    [InlineData("developer")]
    public async Task Other_staff_see_no_action_buttons_and_are_told_why(string role)
    {
        await SignInAsync(role);
        await LoginAsync(Bob);
        var cut = RenderUser(Bob);
        cut.WaitForAssertion(() => Assert.Contains("only stewards", cut.Find("#read-only").TextContent));
        Assert.Empty(cut.FindAll("#invalidate-user"));
        Assert.Empty(cut.FindAll("#prevent-user"));
        Assert.Empty(cut.FindAll(".revoke-session"));
        Assert.Empty(cut.FindAll("button:contains('Revoke')"));
    }

    [Fact]
    public void An_unknown_user_is_named_as_such()
    {
        var cut = RenderUser("Nobody At All");
        cut.WaitForAssertion(() => Assert.Contains("no global user named", cut.Find("#user-missing").TextContent));
    }

    [Fact]
    public void Search_suggests_user_names_as_they_are_typed()
    {
        var popover = Ctx.Render<MudPopoverProvider>();
        var cut = Ctx.Render<UserPage>();
        cut.Find("input#user-search").Input("Sandbox");
        Time.Advance(TimeSpan.FromSeconds(1)); // MudBlazor debounces on the TimeProvider
        popover.WaitForAssertion(() => Assert.Contains(Alice, popover.Find(".mud-popover-open").TextContent));
        Assert.Contains(Carol, popover.Find(".mud-popover-open").TextContent);
    }

    private async Task<string> FirstHandleAsync(string wiki) =>
        (await UserQueries.UserAsync(Alice)).ActiveSessions.First(s => s.Wiki == wiki).Handle;
}
