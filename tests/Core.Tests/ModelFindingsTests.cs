using WikiSessions.Core.MediaWiki;
using WikiSessions.Core.Tests.MediaWiki;

namespace WikiSessions.Core.Tests;

/// <summary>
/// Differences between the engine and docs/promise.md that the model-based test (<see cref="PromiseModelTests"/>) found,
/// each reduced to the steps it printed. The model tolerates each where it shows until its test here passes.
/// </summary>
public sealed class ModelFindingsTests
{
    [Fact]
    public async Task A_bot_password_revoke_counts_only_sessions_that_were_valid()
    {
        // A steward's answer counts "what was valid just before" (docs/api-contract.md); a session that idled out is not.
        await using var farm = await TestFarm.StartAsync();
        await farm.LoginAsync(provider: ProviderKind.BotPassword);
        farm.Time.Advance(TimeSpan.FromMinutes(45));

        var result = await farm.Admin.RevokeBotPasswordAsync(TestFarm.Steward, TestFarm.Alice, "sandboxbot", "Leaked on a paste site");

        Assert.Equal(0, result.SessionsEnded);
    }

    [Fact]
    public async Task A_store_key_whose_session_idled_out_before_an_invalidation_may_be_written_again()
    {
        // docs/promise.md: "Only a key whose session expired may be written again, as a new session." Nothing ended this
        // one on purpose: it had expired an hour before the invalidation, and MediaWiki's next save of the key is refused.
        await using var farm = await TestFarm.StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:00000000000000000000000000000001", default);
        await store.PutAsync(key, KaskBodies.Session(TestFarm.Alice, farm.Time.GetUtcNow() + TimeSpan.FromHours(1), remember: false), default);
        farm.Time.Advance(TimeSpan.FromHours(2));
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");

        await store.PutAsync(key, KaskBodies.Session(TestFarm.Alice, farm.Time.GetUtcNow() + TimeSpan.FromHours(1), remember: false), default);

        Assert.NotNull(await store.GetAsync(key, default));
    }

    [Fact]
    public async Task A_store_key_an_invalidation_ended_stays_ended_past_its_expiry_and_a_later_invalidation()
    {
        // The model's reduced steps: the key's session was alive when everyone was invalidated, expired an hour later, and
        // a second invalidation came after that. The store judged the key by the latest invalidation, found the session
        // had expired before it, and let the key start a new session: the first invalidation's end did not stay ended.
        await using var farm = await TestFarm.StartAsync();
        var (store, key) = await CarolsKeyAsync(farm, "00000000000000000000000000000002");
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");
        farm.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "The proxy leaked again");

        var refused = await Assert.ThrowsAsync<SessionException>(() =>
            store.PutAsync(key, KaskBodies.Session(TestFarm.Alice, farm.Time.GetUtcNow() + TimeSpan.FromHours(1), remember: true), default));

        Assert.Equal(Failure.Forbidden, refused.Failure);
        Assert.Null(await store.GetAsync(key, default));
    }

    [Fact]
    public async Task A_store_key_an_invalidation_ended_stays_ended_once_the_sweeper_has_recorded_it()
    {
        // The sweeper recorded every session past its expiry as ended by time, in any epoch: one the invalidation ended
        // while it was alive then read as expired, and its key could start a new session.
        await using var farm = await TestFarm.StartAsync();
        var (store, key) = await CarolsKeyAsync(farm, "00000000000000000000000000000003");
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");
        farm.Time.Advance(TimeSpan.FromHours(2));
        await farm.Sweeper.SweepOnceAsync();

        var refused = await Assert.ThrowsAsync<SessionException>(() =>
            store.PutAsync(key, KaskBodies.Session(TestFarm.Carol, farm.Time.GetUtcNow() + TimeSpan.FromHours(1), remember: false), default));

        Assert.Equal(Failure.Forbidden, refused.Failure);
    }

    [Fact]
    public async Task A_store_key_that_expired_before_the_first_of_two_invalidations_may_be_written_again()
    {
        // The invalidation that ended the key's epoch is the first after it, not the latest: time had ended this one first.
        await using var farm = await TestFarm.StartAsync();
        var (store, key) = await CarolsKeyAsync(farm, "00000000000000000000000000000004");
        farm.Time.Advance(TimeSpan.FromHours(2));
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");
        farm.Time.Advance(TimeSpan.FromMinutes(5));
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "The proxy leaked again");
        await farm.Sweeper.SweepOnceAsync();

        await store.PutAsync(key, KaskBodies.Session(TestFarm.Carol, farm.Time.GetUtcNow() + TimeSpan.FromHours(1), remember: false), default);

        Assert.NotNull(await store.GetAsync(key, default));
    }

    /// <summary>A testwiki key holding Carol's MediaWiki session, which expires in an hour.</summary>
    private static async Task<(MediaWikiStore Store, MediaWikiStore.StoreKey Key)> CarolsKeyAsync(TestFarm farm, string id)
    {
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:" + id, default);
        await store.PutAsync(key, KaskBodies.Session(TestFarm.Carol, farm.Time.GetUtcNow() + TimeSpan.FromHours(1), remember: false), default);
        return (store, key);
    }

    [Fact]
    public async Task A_global_logout_reaches_the_browser_of_the_remember_me_token_it_carries_and_says_when_that_browser_was_unlinked()
    {
        // The model's reduced steps: a remembered login sent neither cookie field, a second login sent {} (a new browser
        // by the login's rule), then a global logout carrying the second login's cookies and the first one's remember-me
        // cookies. The browser holds that token, so its lineage is the browser's: the logout ends it, and since a login
        // of it was unlinked, says partial. The engine ended only the second lineage and answered complete.
        await using var farm = await TestFarm.StartAsync();
        const string host = "de.wikipedia.org";
        var first = await farm.Sessions.LoginAsync(new LoginRequest("dewiki", TestFarm.Alice, ProviderKind.Cookie, true, null, null, TestFarm.Browser));
        var second = await farm.Sessions.LoginAsync(new LoginRequest("dewiki", TestFarm.Alice, ProviderKind.Cookie, false, null, null, TestFarm.Browser,
            new Dictionary<string, string>(), new Dictionary<string, string>()));
        var cookies = TestFarm.CookiesFor(first.SetCookies, host);
        foreach (var (name, value) in TestFarm.CookiesFor(second.SetCookies, host)) cookies[name] = value;
        Assert.Contains("dewikiToken", cookies.Keys);

        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("dewiki", cookies, TestFarm.CookiesFor(second.SetCookies, TestFarm.CentralHost),
            LogoutScope.Global, TestFarm.Browser));

        Assert.Equal(LogoutOutcome.Partial, logout.Outcome);
        Assert.Contains("not given the browser's cookies", logout.Survives);
        // The first login's central cookie, kept anywhere, no longer logs the user in.
        Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), TestFarm.CookiesFor(first.SetCookies, TestFarm.CentralHost))).Session);
    }

    [Fact]
    public async Task A_remember_me_token_joins_a_login_to_its_browser_only_when_its_UserID_cookie_pairs_with_it()
    {
        // The model's reduced steps: Alice logs in remembered and Bob logs in, both sent neither cookie field, in one
        // browser; Alice logs in again with the browser's cookies, whose UserID cookie is now Bob's beside Alice's token.
        // An unpaired token is no credential (a restore refuses it), so it does not join Alice's unlinked first login to
        // the new one: the global logout of the new one is complete. The engine joined them and answered partial.
        await using var farm = await TestFarm.StartAsync();
        const string host = "en.wikipedia.org";
        var jar = new Dictionary<string, Dictionary<string, string>> { [host] = [], [TestFarm.CentralHost] = [] };
        void Keep(LoginResult login)
        {
            foreach (var h in jar.Keys)
                foreach (var (name, value) in TestFarm.CookiesFor(login.SetCookies, h)) jar[h][name] = value;
        }
        Keep(await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Alice, ProviderKind.Cookie, true, null, null, TestFarm.Browser)));
        Keep(await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Bob, ProviderKind.Cookie, false, null, null, TestFarm.Browser)));
        Keep(await farm.Sessions.LoginAsync(new LoginRequest("enwiki", TestFarm.Alice, ProviderKind.Cookie, true, null, null, TestFarm.Browser,
            new Dictionary<string, string>(jar[host]), new Dictionary<string, string>(jar[TestFarm.CentralHost]))));

        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", jar[host], jar[TestFarm.CentralHost], LogoutScope.Global, TestFarm.Browser));

        Assert.Equal((LogoutOutcome.Complete, null), (logout.Outcome, logout.Survives));
    }
}
