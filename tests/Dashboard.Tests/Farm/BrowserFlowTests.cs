using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Api;
using WikiSessions.Dashboard.Farm;

namespace WikiSessions.Dashboard.Tests.Farm;

/// <summary>A browser's whole day through the HTTP API over a real socket, with its cookie jar doing the remembering.</summary>
public class BrowserFlowTests(LoopbackAppFactory app) : IClassFixture<LoopbackAppFactory>
{
    [Fact]
    public async Task Login_then_wander_then_global_logout_travels_through_the_cookie_jars()
    {
        using var http = app.Loopback();
        var catalog = app.Services.GetRequiredService<FarmCatalog>();
        var api = new FarmApi(http, catalog, new StatusTally());
        var browser = new SimulatedBrowser(api, new ClientBody("198.51.100.44", "FlowTest/1.0", Secure: true), new CookieJar(TimeProvider.System));
        var user = catalog.User("Tintin");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;

        var login = (await browser.LoginAsync("nowiki", user.Name, "cookie", ct)).Value!;
        Assert.NotNull(browser.Jar.Value(catalog.Hosts["nowiki"], "nowiki_session"));
        Assert.NotNull(browser.Jar.Value(catalog.CentralHost, CookieRules.CentralSession));
        Assert.True(browser.Jar.IsSecure(catalog.Hosts["nowiki"], "nowiki_session"));

        string[] elsewhere = ["dewiki", "commonswiki"];
        foreach (var wiki in elsewhere)
        {
            var visit = (await browser.VisitAsync(wiki, ct)).Value!;
            Assert.True(visit.AutoLogin, $"no auto-login on {wiki}: {visit.Reason}");
            Assert.Equal(user.Name, visit.Session!.User);
            Assert.Equal(visit.Session.Id, browser.SessionIdOn(wiki));
        }
        var again = (await browser.VisitAsync("dewiki", ct)).Value!;
        Assert.False(again.AutoLogin);
        Assert.Equal(browser.SessionIdOn("dewiki"), again.Session!.Id);

        var logout = (await browser.LogoutAsync("nowiki", "global", ct)).Value!;
        Assert.Equal(LogoutOutcome.Complete, logout.Outcome);
        Assert.Empty(browser.CookiesFor("nowiki"));
        Assert.Null(browser.CentralCookies());

        // The other hosts' cookies outlive the logout response; the next visit finds the session ended and clears them.
        var after = (await browser.VisitAsync("dewiki", ct)).Value!;
        Assert.Null(after.Session);
        Assert.Empty(browser.CookiesFor("dewiki"));

        using var developer = app.Loopback(LoopbackAppFactory.StaffToken("developer"));
        var trace = await developer.GetFromJsonAsync<LogoutTraceView>($"/api/v1/admin/logout-traces/{logout.TraceId}", FarmApi.Json, ct);
        Assert.False(trace!.CentralSessionSurvived);
        Assert.Superset(new HashSet<string>(["nowiki", "dewiki", "commonswiki", "loginwiki"]), trace.Steps.Select(s => s.Wiki).ToHashSet());
        Assert.All(trace.Steps.Where(s => s.Wiki is "dewiki" or "commonswiki"), s => Assert.Equal(1, s.SessionsEnded));
        Assert.Equal(0, api.Tally.Unexpected());
        Assert.NotNull(login.CentralSessionId);
    }

    [Fact]
    public async Task An_oauth_tool_sends_the_authorization_it_got_at_login()
    {
        using var http = app.Loopback();
        var catalog = app.Services.GetRequiredService<FarmCatalog>();
        var grant = catalog.Grants[0];
        var tool = new SimulatedBrowser(new FarmApi(http, catalog, new StatusTally()), new ClientBody("203.0.113.9", "ToolTest/1.0", true), new CookieJar(TimeProvider.System));

        var login = await tool.LoginAsync(grant.Home, grant.User, "oauth", CancellationToken.None, consumer: grant.Consumer);
        Assert.True(login.Succeeded, login.Title);
        Assert.StartsWith("OAuth ", tool.Authorization);

        var visit = (await tool.VisitAsync(grant.Home, CancellationToken.None)).Value!;
        Assert.Equal(grant.User, visit.Session!.User);
        Assert.Equal("oauth", visit.Session.Provider);
    }
}
