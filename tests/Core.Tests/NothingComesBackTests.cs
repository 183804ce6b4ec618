using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Admin;

namespace WikiSessions.Core.Tests;

/// <summary>
/// One test per way back in that the service used to have (issue "Nothing comes back"): after a revoke, a logout or an
/// invalidation, no credential that existed before it yields a session again until a new explicit login.
/// </summary>
public abstract class NothingComesBackTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : NothingComesBackTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : NothingComesBackTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : NothingComesBackTests(StoreKind.SqlServer);

    private const string En = "en.wikipedia.org";
    private static readonly Dictionary<string, string> NoCookies = [];

    [Fact]
    public async Task A_browser_revoke_is_not_undone_by_the_next_request_on_any_wiki()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
        var de = await farm.ResolveAsync("dewiki", NoCookies, central);

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Stolen laptop");

        Assert.Equal(2, revoke.SessionsEnded);
        Assert.True(revoke.Check.Passed, revoke.Check.Summary);
        Assert.Null(revoke.Survives);
        foreach (var (wiki, cookies) in new[] { ("enwiki", TestFarm.CookiesFor(login.SetCookies, En)), ("dewiki", TestFarm.CookiesFor(de.SetCookies, "de.wikipedia.org")), ("frwiki", NoCookies) })
        {
            var after = await farm.ResolveAsync(wiki, cookies, central);
            Assert.Null(after.Session);
            Assert.False(after.AutoLogin);
        }
    }

    [Fact]
    public async Task A_session_scope_revoke_says_that_the_central_session_can_log_the_user_back_in()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Only this tab", RevokeScope.Session);

        Assert.Equal(1, revoke.SessionsEnded);
        Assert.Contains("central session is still valid", revoke.Survives);
        Assert.True((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, En), central)).AutoLogin);
    }

    [Fact]
    public async Task Invalidating_everyone_voids_remember_me_tokens()
    {
        await using var farm = await StartAsync();
        var remembered = RememberCookies(await farm.LoginAsync(remember: true));

        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");

        Assert.Null((await farm.ResolveAsync("enwiki", remembered)).Session);
    }

    [Fact]
    public async Task A_remember_me_token_expires_on_the_server_30_days_after_it_was_issued()
    {
        await using var farm = await StartAsync();
        var remembered = RememberCookies(await farm.LoginAsync(remember: true));
        farm.Time.Advance(TimeSpan.FromDays(29));
        Assert.NotNull((await farm.ResolveAsync("enwiki", remembered)).Session);

        farm.Time.Advance(TimeSpan.FromDays(61));

        Assert.Null((await farm.ResolveAsync("enwiki", remembered)).Session);
    }

    [Fact]
    public async Task A_session_restored_from_remember_me_ends_with_a_global_logout_of_its_browser()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync(remember: true);
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
        var restored = await farm.ResolveAsync("enwiki", RememberCookies(login));
        Assert.NotNull(restored.Session);

        await farm.Logouts.LogoutAsync(new LogoutRequest("dewiki", NoCookies, central, LogoutScope.Global, TestFarm.Browser));

        Assert.Null((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(restored.SetCookies, En))).Session);
        Assert.Null((await farm.ResolveAsync("enwiki", RememberCookies(login))).Session);
    }

    [Fact]
    public async Task Session_data_cannot_be_read_or_written_after_invalidate_everyone_or_idle_expiry()
    {
        await using var farm = await StartAsync();
        var first = (await farm.LoginAsync()).Session.Id;
        var second = (await farm.LoginAsync(TestFarm.Bob)).Session.Id;

        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Drill");
        Assert.Equal(Failure.NotFound, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.GetDataAsync("enwiki", first))).Failure);
        Assert.Equal(Failure.NotFound, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.PutDataAsync("enwiki", second, 1, "{}"))).Failure);

        var fresh = (await farm.LoginAsync(TestFarm.Carol)).Session.Id;
        farm.Time.Advance(TimeSpan.FromMinutes(31));
        Assert.Equal(Failure.NotFound, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.GetDataAsync("enwiki", fresh))).Failure);
    }

    [Theory]
    [InlineData("aawiki")]
    [InlineData("arbcom_enwiki")]
    public async Task An_OAuth_authorization_opens_no_session_on_a_closed_wiki_or_a_private_one_the_user_is_not_a_member_of(string wiki)
    {
        await using var farm = await StartAsync();
        var tool = await farm.LoginAsync(provider: ProviderKind.OAuth);

        var there = await farm.ResolveAsync(wiki, NoCookies, authorization: tool.Authorization);

        Assert.Null(there.Session);
        await using var db = farm.Db();
        Assert.False(await db.Sessions.AnyAsync(s => s.Wiki!.DbName == wiki));
    }

    [Fact]
    public async Task Logout_and_auto_login_racing_never_leave_a_session_of_the_ended_central_session()
    {
        await using var farm = await StartAsync();
        for (var round = 0; round < 20; round++)
        {
            var login = await farm.LoginAsync();
            var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
            var wikis = new[] { "dewiki", "frwiki", "itwiki", "eswiki" };
            var autoLogins = wikis.Select(w => Task.Run(() => farm.ResolveAsync(w, NoCookies, central))).ToList();
            var logout = Task.Run(() => farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(login.SetCookies, En), central, LogoutScope.Global, TestFarm.Browser)));
            await Task.WhenAll([.. autoLogins, logout]);

            foreach (var wiki in wikis)
                Assert.Null((await farm.ResolveAsync(wiki, NoCookies, central)).Session);
            await using var db = farm.Db();
            var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
            var centralHash = Secrets.Sha256(central[CookieRules.CentralSession]);
            var centralId = await db.CentralSessions.Where(c => c.IdHash == centralHash).Select(c => c.Id).SingleAsync();
            Assert.Equal(0, await Validity.Active(db, db.Sessions.Where(s => s.CentralSessionId == centralId), epoch, farm.Time.GetUtcNow()).CountAsync());
        }
    }

    [Fact]
    public async Task An_editor_busy_on_one_wiki_is_still_auto_logged_in_on_the_next_after_half_an_hour()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();
        var en = TestFarm.CookiesFor(login.SetCookies, En);
        for (var minute = 0; minute < 45; minute += 5)
        {
            farm.Time.Advance(TimeSpan.FromMinutes(5));
            Assert.NotNull((await farm.ResolveAsync("enwiki", en)).Session);
        }

        Assert.True((await farm.ResolveAsync("dewiki", NoCookies, TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost))).AutoLogin);
    }

    [Fact]
    public async Task A_login_that_reuses_the_central_session_keeps_it_alive()
    {
        // Found by the model-based test at 5,000 sequences: the second login reused the central session without
        // refreshing it, and the resolve right after it had nothing to write yet, so the central session idled out.
        await using var farm = await StartAsync();
        var first = await farm.LoginAsync(wiki: "dewiki");
        var central = TestFarm.CookiesFor(first.SetCookies, TestFarm.CentralHost);
        farm.Time.Advance(TimeSpan.FromMinutes(25));
        await farm.LoginAsync(wiki: "dewiki", centralCookies: central);
        farm.Time.Advance(TimeSpan.FromMinutes(6));

        Assert.True((await farm.ResolveAsync("enwiki", NoCookies, central)).AutoLogin);
    }

    [Fact]
    public async Task Global_logout_ends_the_central_session_the_browser_sent_as_well_as_the_one_the_local_session_is_linked_to()
    {
        await using var farm = await StartAsync();
        var first = await farm.LoginAsync();
        // A second login that did not carry the first central cookie: the browser now holds a newer central session.
        var second = await farm.LoginAsync(wiki: "dewiki");
        var newer = TestFarm.CookiesFor(second.SetCookies, TestFarm.CentralHost);

        await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(first.SetCookies, En), newer, LogoutScope.Global, TestFarm.Browser));

        Assert.Null((await farm.ResolveAsync("frwiki", NoCookies, newer)).Session);
        Assert.Null((await farm.ResolveAsync("frwiki", NoCookies, TestFarm.CookiesFor(first.SetCookies, TestFarm.CentralHost))).Session);
        Assert.Null((await farm.ResolveAsync("dewiki", TestFarm.CookiesFor(second.SetCookies, "de.wikipedia.org"))).Session);
    }

    [Fact]
    public async Task Invalidate_everyone_reports_what_it_ended_and_a_check_that_counts_what_existed_before()
    {
        await using var farm = await StartAsync();
        await farm.LoginAsync();
        await farm.LoginAsync(TestFarm.Bob, remember: true);

        var done = await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Incident");

        Assert.Equal((2, 2, 1), (done.SessionsEnded, done.CentralSessionsEnded, done.RememberTokensEnded));
        Assert.True(done.Check.Passed, done.Check.Summary);
        Assert.Equal(2, Assert.Single((await farm.FarmQueries.AuditAsync()).Items).SessionsEnded);
    }

    [Fact]
    public async Task The_post_action_check_fails_when_a_credential_from_before_still_yields_a_session()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();

        // A session-scope revoke leaves the central session: the check of the browser's credentials would see it,
        // and the check of this session alone passes. Both come from the same rule resolve uses.
        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Only this tab", RevokeScope.Session);
        Assert.True(revoke.Check.Passed);
        await using var db = farm.Db();
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
        Assert.Equal(1, await Validity.Active(db, db.CentralSessions, epoch, farm.Time.GetUtcNow()).CountAsync());
        Assert.True((await farm.ResolveAsync("dewiki", NoCookies, TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost))).AutoLogin);
    }

    [Fact]
    public async Task A_client_that_never_keeps_its_cookies_gets_the_same_session_not_a_new_one_per_request()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync(remember: true);
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);

        var auto = new HashSet<string>();
        var restored = new HashSet<string>();
        for (var i = 0; i < 5; i++)
        {
            auto.Add((await farm.ResolveAsync("dewiki", NoCookies, central)).Session!.Id);
            restored.Add((await farm.ResolveAsync("enwiki", RememberCookies(login))).Session!.Id);
            farm.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.Single(auto);
        Assert.Single(restored);
        await using var db = farm.Db();
        Assert.Equal(3, await db.Sessions.CountAsync());
    }

    [Fact]
    public async Task A_global_logout_reaches_the_browsers_older_central_session_that_idled_out()
    {
        // T124409 in this engine: the browser's first central session idled out, a new login made a newer one, and the
        // global logout ended only the newer one, so dewiki's remembered session came back.
        await using var farm = await StartAsync(o => o.IdleTimeout = TimeSpan.FromSeconds(20));
        var browser = new Jar();
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);
        browser.Take((await Login(farm, "dewiki", remember: true, browser)).SetCookies);
        farm.Time.Advance(TimeSpan.FromSeconds(26));
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);

        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", browser.For(En), browser.For(TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));

        Assert.Equal(LogoutOutcome.Complete, logout.Outcome);
        Assert.Null(logout.Survives);
        var de = await farm.ResolveAsync("dewiki", browser.For(De), browser.For(TestFarm.CentralHost));
        Assert.Null(de.Session);
        Assert.Null((await farm.ResolveAsync("dewiki", browser.For(De).Where(c => c.Key is "dewikiUserID" or "dewikiToken").ToDictionary())).Session);
    }

    [Fact]
    public async Task A_browser_revoke_reaches_the_browsers_older_central_session_that_idled_out()
    {
        await using var farm = await StartAsync(o => o.IdleTimeout = TimeSpan.FromSeconds(20));
        var browser = new Jar();
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);
        browser.Take((await Login(farm, "dewiki", remember: true, browser)).SetCookies);
        farm.Time.Advance(TimeSpan.FromSeconds(26));
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Stolen laptop");

        Assert.True(revoke.Check.Passed, revoke.Check.Summary);
        Assert.Null(revoke.Survives);
        Assert.Null((await farm.ResolveAsync("dewiki", browser.For(De), browser.For(TestFarm.CentralHost))).Session);
    }

    [Fact]
    public async Task A_global_logout_does_not_claim_complete_when_the_logins_were_not_given_the_browsers_cookies()
    {
        await using var farm = await StartAsync();
        var en = await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Alice, ProviderKind.Cookie, false, null, null, TestFarm.Browser));
        var de = await farm.Sessions.LoginAsync(new LoginRequest("dewiki", TestFarm.Alice, ProviderKind.Cookie, false, null, null, TestFarm.Browser));

        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("dewiki", TestFarm.CookiesFor(de.SetCookies, De),
            TestFarm.CookiesFor(de.SetCookies, TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));

        // The enwiki session may belong to another browser: the engine cannot tell, so it must not say "complete".
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(en.SetCookies, En))).Session);
        Assert.Equal(LogoutOutcome.Partial, logout.Outcome);
        Assert.Contains("not given the browser's cookies", logout.Survives);
        Assert.Equal(LogoutOutcome.Partial, (await farm.TraceQueries.TraceAsync(logout.TraceId)).Outcome);
    }

    [Fact]
    public async Task A_browser_revoke_says_when_a_login_of_the_browser_was_not_given_its_cookies()
    {
        await using var farm = await StartAsync();
        var en = await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Alice, ProviderKind.Cookie, false, null, null, TestFarm.Browser));
        await farm.Sessions.LoginAsync(new LoginRequest("dewiki", TestFarm.Alice, ProviderKind.Cookie, false, null, null, TestFarm.Browser));

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "dewiki"), "Stolen laptop");

        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(en.SetCookies, En))).Session);
        Assert.Contains("not given the browser's cookies", revoke.Survives);
    }

    [Fact]
    public async Task A_login_that_carries_nothing_starts_a_new_browser_and_its_global_logout_is_complete()
    {
        await using var farm = await StartAsync();
        var first = new Jar();
        first.Take((await Login(farm, "enwiki", remember: false, first)).SetCookies);
        var second = new Jar();
        second.Take((await Login(farm, "dewiki", remember: false, second)).SetCookies);

        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("dewiki", second.For(De), second.For(TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));

        Assert.Equal(LogoutOutcome.Complete, logout.Outcome);
        Assert.NotNull((await farm.ResolveAsync("enwiki", first.For(En), first.For(TestFarm.CentralHost))).Session);
    }

    [Fact]
    public async Task A_stewards_revoke_of_an_OAuth_session_is_not_undone_by_the_tools_next_request()
    {
        await using var farm = await StartAsync();
        var tool = await farm.LoginAsync(provider: ProviderKind.OAuth);
        Assert.NotNull((await farm.ResolveAsync("enwiki", NoCookies, authorization: tool.Authorization)).Session);

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Runaway tool");

        Assert.True(revoke.Check.Passed, revoke.Check.Summary);
        var next = await farm.ResolveAsync("enwiki", NoCookies, authorization: tool.Authorization);
        Assert.True(next.Session is null || revoke.Survives is not null, $"survives: null, yet the tool got {next.Session?.User}'s session back");
        Assert.Null(next.Session);
        Assert.Null((await farm.ResolveAsync("dewiki", NoCookies, authorization: tool.Authorization)).Session);
        // The grant survives: a new explicit OAuth login works.
        var again = await farm.LoginAsync(provider: ProviderKind.OAuth);
        Assert.NotNull((await farm.ResolveAsync("enwiki", NoCookies, authorization: again.Authorization)).Session);
    }

    [Fact]
    public async Task A_stewards_revoke_of_a_bot_password_session_is_not_undone_by_the_bots_next_request()
    {
        await using var farm = await StartAsync();
        var bot = await farm.LoginAsync(provider: ProviderKind.BotPassword);
        var cookies = TestFarm.CookiesFor(bot.SetCookies, En);
        Assert.NotNull((await farm.ResolveAsync("enwiki", cookies)).Session);

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Runaway bot");

        Assert.True(revoke.Check.Passed, revoke.Check.Summary);
        Assert.Null(revoke.Survives);
        Assert.Null((await farm.ResolveAsync("enwiki", cookies)).Session);
    }

    [Fact]
    public async Task A_session_scope_revoke_says_that_a_live_remember_me_token_can_restore_the_user()
    {
        // The central session idled out; dewiki's remember-me token did not, and restores the user after the revoke.
        await using var farm = await StartAsync(o => o.IdleTimeout = TimeSpan.FromSeconds(20));
        var browser = new Jar();
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);
        browser.Take((await Login(farm, "dewiki", remember: true, browser)).SetCookies);
        farm.Time.Advance(TimeSpan.FromSeconds(26));

        var revoke = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "dewiki"), "Only this tab", RevokeScope.Session);

        var next = await farm.ResolveAsync("dewiki", browser.For(De));
        Assert.NotNull(next.Session);
        Assert.NotNull(revoke.Survives);
        Assert.Contains("remember-me", revoke.Survives);
    }

    [Fact]
    public async Task An_auto_login_after_a_local_logout_and_a_new_explicit_login_is_not_a_resurrection()
    {
        await using var farm = await StartAsync();
        var browser = new Jar();
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);
        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", browser.For(En), browser.For(TestFarm.CentralHost), LogoutScope.Local, TestFarm.Browser));
        browser.Take(logout.SetCookies);
        browser.Take((await Login(farm, "enwiki", remember: false, browser)).SetCookies);

        var de = await farm.ResolveAsync("dewiki", NoCookies, browser.For(TestFarm.CentralHost));

        Assert.True(de.AutoLogin);
        await using var db = farm.Db();
        Assert.False(await db.Sessions.AnyAsync(s => s.ResurrectionOfTraceId != null));
        Assert.Empty((await farm.TraceQueries.TraceAsync(logout.TraceId)).Resurrections);
    }

    [Fact]
    public async Task Anonymous_OAuth_and_dead_cookie_resolves_are_reads_without_a_write_transaction()
    {
        // T124406: reads must not write. Each of these resolves used to begin a write transaction.
        await using var farm = await StartAsync();
        var tool = await farm.LoginAsync(provider: ProviderKind.OAuth);
        Assert.NotNull((await farm.ResolveAsync("enwiki", NoCookies, authorization: tool.Authorization)).Session);
        var login = await farm.LoginAsync(TestFarm.Bob);
        var dead = TestFarm.CookiesFor(login.SetCookies, En);
        await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", dead, TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));
        farm.Commands.Reset();

        Assert.NotNull((await farm.ResolveAsync("enwiki", NoCookies, authorization: tool.Authorization)).Session);
        Assert.Null((await farm.ResolveAsync("enwiki", NoCookies)).Session);
        Assert.Null((await farm.ResolveAsync("enwiki", dead)).Session);

        Assert.Equal((0, 0), (farm.Commands.Writes, farm.Commands.Transactions));
    }

    [Fact]
    public async Task A_resolve_with_a_dead_or_refused_OAuth_authorization_is_a_read_without_a_write_transaction()
    {
        // T124406 for tools: a tool whose authorization a steward ended keeps sending it, and each request is a read.
        await using var farm = await StartAsync();
        var revoked = await farm.LoginAsync(provider: ProviderKind.OAuth);
        Assert.NotNull((await farm.ResolveAsync("enwiki", NoCookies, authorization: revoked.Authorization)).Session);
        await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await HandleAsync(farm, "enwiki"), "Runaway tool");
        var ungranted = await farm.LoginAsync(TestFarm.Bob, provider: ProviderKind.OAuth);
        Assert.NotNull((await farm.ResolveAsync("enwiki", NoCookies, authorization: ungranted.Authorization)).Session);
        await farm.Admin.RevokeGrantAsync(TestFarm.Steward, TestFarm.Bob, "SandboxTool", "Grant withdrawn");
        farm.Commands.Reset();

        Assert.Null((await farm.ResolveAsync("enwiki", NoCookies, authorization: revoked.Authorization)).Session);
        Assert.Null((await farm.ResolveAsync("dewiki", NoCookies, authorization: revoked.Authorization)).Session);
        Assert.Null((await farm.ResolveAsync("enwiki", NoCookies, authorization: ungranted.Authorization)).Session);
        Assert.Null((await farm.ResolveAsync("enwiki", NoCookies, authorization: "OAuth 999999.deadbeef")).Session);

        Assert.Equal((0, 0), (farm.Commands.Writes, farm.Commands.Transactions));
    }

    private const string De = "de.wikipedia.org";

    /// <summary>A login as a real wiki sends it: with the cookies the browser sent it, for the wiki's host and the central one.</summary>
    private static Task<LoginResult> Login(TestFarm farm, string wiki, bool remember, Jar browser) =>
        farm.Sessions.LoginAsync(new LoginRequest(wiki, TestFarm.Alice, ProviderKind.Cookie, remember, null, null, TestFarm.Browser,
            browser.For(wiki == "enwiki" ? En : De), browser.For(TestFarm.CentralHost)));

    /// <summary>One browser's cookies by host: set, replaced and cleared as the answers say.</summary>
    private sealed class Jar
    {
        private readonly Dictionary<string, Dictionary<string, string>> _hosts = [];

        public Dictionary<string, string> For(string host) => _hosts.TryGetValue(host, out var c) ? new(c) : [];

        public void Take(IEnumerable<SetCookie> setCookies)
        {
            foreach (var c in setCookies)
            {
                var host = _hosts.TryGetValue(c.Host, out var h) ? h : _hosts[c.Host] = [];
                if (c.Value == "") host.Remove(c.Name);
                else host[c.Name] = c.Value;
            }
        }
    }

    private static Dictionary<string, string> RememberCookies(LoginResult login) =>
        TestFarm.CookiesFor(login.SetCookies, En).Where(c => c.Key is "enwikiUserID" or "enwikiToken").ToDictionary();

    private static async Task<string> HandleAsync(TestFarm farm, string wiki)
    {
        await using var db = farm.Db();
        return await db.Sessions.Where(s => s.Wiki!.DbName == wiki && s.EndedAt == null).Select(s => s.Handle).SingleAsync();
    }
}
