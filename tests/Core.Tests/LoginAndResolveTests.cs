using Microsoft.EntityFrameworkCore;

namespace WikiSessions.Core.Tests;

public abstract class LoginAndResolveTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : LoginAndResolveTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : LoginAndResolveTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : LoginAndResolveTests(StoreKind.SqlServer);

    [Fact]
    public async Task Cookie_login_makes_a_local_and_a_central_session_and_the_cookies_resolve_it()
    {
        await using var farm = await StartAsync();

        var login = await farm.LoginAsync();

        Assert.Equal("enwiki", login.Session.Wiki);
        Assert.Equal(TestFarm.Alice, login.Session.User);
        Assert.NotNull(login.CentralSessionId);
        Assert.Equal(login.CentralSessionId, login.Session.CentralSessionId);
        Assert.Contains(login.SetCookies, c => c.Host == "en.wikipedia.org" && c.Name == "enwiki_session" && c.Value == login.Session.Id);
        Assert.Contains(login.SetCookies, c => c.Host == TestFarm.CentralHost && c.Name == CookieRules.CentralSession);

        var resolved = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"));
        Assert.Equal(login.Session.Id, resolved.Session?.Id);
        Assert.False(resolved.AutoLogin);
    }

    [Fact]
    public async Task Session_ids_are_128_bit_hex_and_the_store_keeps_only_their_hashes()
    {
        await using var farm = await StartAsync();

        var ids = new List<string>();
        for (var i = 0; i < 20; i++) ids.Add((await farm.LoginAsync()).Session.Id);

        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        await using var db = farm.Db();
        var stored = await db.Sessions.Select(s => new { s.IdHash, s.Handle }).ToListAsync();
        Assert.DoesNotContain(stored, s => ids.Contains(s.IdHash) || ids.Contains(s.Handle));
        Assert.All(ids, id => Assert.Contains(stored, s => s.IdHash == Secrets.Sha256(id)));
    }

    [Fact]
    public async Task Visiting_another_wiki_with_the_central_cookies_auto_logs_the_user_in_there()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();

        var visit = await farm.ResolveAsync("dewiki", new Dictionary<string, string>(), TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost));

        Assert.True(visit.AutoLogin);
        Assert.Equal(TestFarm.Alice, visit.Session?.User);
        Assert.Contains(visit.SetCookies, c => c.Host == "de.wikipedia.org" && c.Name == "dewiki_session");
        await using var db = farm.Db();
        var session = await db.Sessions.SingleAsync(s => s.IdHash == Secrets.Sha256(visit.Session!.Id));
        Assert.Equal(SessionOrigin.AutoLogin, session.Origin);
        Assert.NotNull(session.CentralSessionId);
        Assert.Null(session.ResurrectionOfTraceId);
    }

    [Fact]
    public async Task Auto_login_on_a_wiki_the_user_never_visited_attaches_them_without_recursing()
    {
        // T124143: loading the user and loading the session must not call each other.
        await using var farm = await StartAsync();
        int userId, wikiId;
        await using (var db = farm.Db())
        {
            userId = await db.Users.Where(u => u.Name == TestFarm.Alice).Select(u => u.Id).SingleAsync();
            wikiId = await db.Wikis.Where(w => w.DbName == "frwiki").Select(w => w.Id).SingleAsync();
            Assert.Equal(1, await db.Attachments.Where(a => a.UserId == userId && a.WikiId == wikiId).ExecuteDeleteAsync());
        }
        var login = await farm.LoginAsync();
        farm.Commands.Reset();

        var visit = await farm.ResolveAsync("frwiki", new Dictionary<string, string>(), TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost));

        Assert.True(visit.AutoLogin);
        Assert.InRange(farm.Commands.Total, 1, 20);
        await using var check = farm.Db();
        Assert.True(await check.Attachments.AnyAsync(a => a.UserId == userId && a.WikiId == wikiId));
    }

    [Fact]
    public async Task The_server_decides_expiry_a_session_cookie_kept_by_the_browser_no_longer_resolves_after_idle_time()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();
        var remembered = await farm.LoginAsync(TestFarm.Bob, remember: true);

        farm.Time.Advance(TimeSpan.FromMinutes(31));

        var stale = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"));
        Assert.Null(stale.Session);
        Assert.Contains("inactivity", stale.Reason);
        Assert.Contains(stale.SetCookies, c => c.Name == "enwiki_session" && c.Value == "" && c.ExpiresAt < farm.Time.GetUtcNow());
        var kept = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(remembered.SetCookies, "en.wikipedia.org"));
        Assert.Equal(TestFarm.Bob, kept.Session?.User);
    }

    [Fact]
    public async Task An_app_that_keeps_sending_expired_cookies_can_still_log_in()
    {
        // T124384: the Android app sent expired cookies with every request and could not log in.
        await using var farm = await StartAsync();
        var first = await farm.LoginAsync(client: new ClientInfo("203.0.113.9", "WikipediaApp/2.7", true));
        var staleCookies = TestFarm.CookiesFor(first.SetCookies, "en.wikipedia.org");
        farm.Time.Advance(TimeSpan.FromHours(2));

        var stale = await farm.ResolveAsync("enwiki", staleCookies);
        Assert.Null(stale.Session);
        var again = await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Alice, ProviderKind.Cookie, false, null, null,
            new ClientInfo("203.0.113.9", "WikipediaApp/2.7", true), Cookies: staleCookies));
        var fresh = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(again.SetCookies, "en.wikipedia.org"));

        Assert.NotEqual(first.Session.Id, again.Session.Id);
        Assert.Equal(TestFarm.Alice, fresh.Session?.User);
    }

    [Fact]
    public async Task A_new_login_ends_the_session_the_browser_still_carried()
    {
        await using var farm = await StartAsync();
        var first = await farm.LoginAsync();
        var carried = TestFarm.CookiesFor(first.SetCookies, "en.wikipedia.org");

        var second = await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Bob, ProviderKind.Cookie, false, null, null, TestFarm.Browser, Cookies: carried));

        Assert.Null((await farm.ResolveAsync("enwiki", carried)).Session);
        Assert.Equal(TestFarm.Bob, (await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(second.SetCookies, "en.wikipedia.org"))).Session?.User);
        var ended = (await farm.UserQueries.HistoryAsync(TestFarm.Alice)).Items.Single();
        Assert.Equal(EndReason.Replaced, ended.EndReason);
    }

    [Fact]
    public async Task Auth_cookies_with_the_value_deleted_are_ignored_and_never_cleared_again()
    {
        // T124252: "deleted" auth cookies caused a spike of NEED_TOKEN errors.
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync();
        var cookies = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
        cookies["enwikiToken"] = "deleted";
        cookies["enwikiUserID"] = "deleted";

        var resolved = await farm.ResolveAsync("enwiki", cookies);
        Assert.Equal(login.Session.Id, resolved.Session?.Id);

        var onlyDeleted = await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwiki_session"] = "deleted", ["enwikiToken"] = "deleted" });
        Assert.Null(onlyDeleted.Session);
        Assert.Empty(onlyDeleted.SetCookies);
    }

    [Fact]
    public async Task Cookies_are_never_secure_for_a_plain_http_request()
    {
        await using var farm = await StartAsync();

        var plain = await farm.LoginAsync(client: TestFarm.Browser with { Secure = false }, remember: true);
        var tls = await farm.LoginAsync(client: TestFarm.Browser with { Secure = true });

        Assert.All(plain.SetCookies, c => Assert.False(c.Secure));
        Assert.All(tls.SetCookies, c => Assert.True(c.Secure));
    }

    [Fact]
    public async Task A_cookie_that_names_no_session_gets_a_reason_and_no_new_session()
    {
        await using var farm = await StartAsync();
        await using var before = farm.Db();
        var count = await before.Sessions.CountAsync();

        var result = await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwiki_session"] = Secrets.NewSessionId() });
        var garbage = await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwiki_session"] = "not-hex" });
        var none = await farm.ResolveAsync("enwiki", new Dictionary<string, string>());

        Assert.Null(result.Session);
        Assert.Contains("no session", result.Reason);
        Assert.Null(garbage.Session);
        Assert.Contains("32 hex digits", garbage.Reason);
        Assert.Contains("blocking cookies", none.Reason);
        await using var after = farm.Db();
        Assert.Equal(count, await after.Sessions.CountAsync());
    }

    [Fact]
    public async Task Remember_me_restores_a_session_from_the_token_cookie_until_the_user_token_is_reset()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync(remember: true);
        var cookies = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
        cookies.Remove("enwiki_session");

        var restored = await farm.ResolveAsync("enwiki", cookies);
        Assert.Equal(TestFarm.Alice, restored.Session?.User);

        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, TestFarm.Alice, "Compromised password");
        var refused = await farm.ResolveAsync("enwiki", cookies);
        Assert.Null(refused.Session);
    }

    [Fact]
    public async Task Unknown_wikis_and_users_are_refused_with_a_clear_title()
    {
        await using var farm = await StartAsync();

        var wiki = await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(wiki: "nosuchwiki"));
        var user = await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(user: "Nobody At All"));
        var closed = await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(wiki: "aawiki"));

        Assert.Equal(Failure.NotFound, wiki.Failure);
        Assert.Contains("nosuchwiki", wiki.Message);
        Assert.Equal(Failure.NotFound, user.Failure);
        Assert.Equal(Failure.Forbidden, closed.Failure);
        Assert.Contains("closed", closed.Message);
    }
}
