using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Metrics;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>What MediaWiki's own logouts and deletions end in the store, and what the console makes of what follows them.</summary>
public abstract class StoreEndingsTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : StoreEndingsTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : StoreEndingsTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : StoreEndingsTests(StoreKind.SqlServer);

    private const string User = "Relogin User";

    private static long Count(TestFarm farm, Signal signal) =>
        farm.Services.GetRequiredService<SessionMetrics>().Peek().Values.Sum(counts => counts[(int)signal]);

    private static async Task<int> ResurrectionsAsync(TestFarm farm)
    {
        await using var db = farm.Db();
        return await db.Events.CountAsync(e => e.Kind == SessionEventKind.Resurrection);
    }

    [Fact]
    public async Task A_plain_login_after_a_MediaWiki_logout_is_not_a_resurrection()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var expires = farm.Time.GetUtcNow().AddHours(1);
        var first = await store.KeyAsync(wiki, "testwiki:MWSession:relogin1", default);
        await store.PutAsync(first, KaskBodies.Session(User, expires, remember: false), default);
        await store.DeleteAsync(first, default);

        // MediaWiki's logout keeps the user token, so the next login carries the same one.
        farm.Time.Advance(TimeSpan.FromSeconds(1.5));
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:relogin2", default), KaskBodies.Session(User, expires, remember: false), default);

        Assert.Equal(0, await ResurrectionsAsync(farm));
        Assert.Equal(0, Count(farm, Signal.Resurrections));
    }

    [Fact]
    public async Task A_remembered_session_soon_after_a_MediaWiki_logout_is_a_resurrection_and_one_after_the_window_is_not()
    {
        await using var farm = await StartAsync(o => o.ResurrectionWindow = TimeSpan.FromMinutes(10));
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var expires = farm.Time.GetUtcNow().AddDays(30);
        var first = await store.KeyAsync(wiki, "testwiki:MWSession:remembered1", default);
        await store.PutAsync(first, KaskBodies.Session(User, expires), default);
        await store.DeleteAsync(first, default);

        farm.Time.Advance(TimeSpan.FromSeconds(1.5));
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:remembered2", default), KaskBodies.Session(User, expires), default);
        Assert.Equal(1, await ResurrectionsAsync(farm));
        Assert.Equal(1, Count(farm, Signal.Resurrections));

        var second = await store.KeyAsync(wiki, "testwiki:MWSession:remembered3", default);
        await store.PutAsync(second, KaskBodies.Session("Other Remembered User", expires), default);
        await store.DeleteAsync(second, default);
        farm.Time.Advance(TimeSpan.FromMinutes(11));
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:remembered4", default), KaskBodies.Session("Other Remembered User", expires), default);
        Assert.Equal(1, await ResurrectionsAsync(farm));
    }

    [Fact]
    public async Task A_write_after_MediaWiki_deleted_the_same_key_is_refused_as_a_miss_and_is_no_store_failure()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:racedlogout", default);
        var body = KaskBodies.Session(User, farm.Time.GetUtcNow().AddHours(1), remember: false);
        await store.PutAsync(key, body, default);
        await store.DeleteAsync(key, default);

        // A parallel request of the same browser saves the session the logout just deleted.
        var refused = await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(key, body, default));

        Assert.Equal(Failure.Forbidden, refused.Failure);
        Assert.Contains("logged out", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await store.GetAsync(key, default));
        Assert.Equal(0, farm.Store.Failures);
        Assert.Equal(0, Count(farm, Signal.StoreFailures));
        await using var db = farm.Db();
        Assert.Equal(EndReason.LoggedOut, (await db.Sessions.SingleAsync(s => s.Origin == SessionOrigin.MediaWiki)).EndReason);
    }

    [Fact]
    public async Task A_key_a_steward_revoked_does_not_come_back_when_MediaWiki_deletes_and_writes_it_again()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:revokedkey", default);
        var body = KaskBodies.Session(User, farm.Time.GetUtcNow().AddHours(1), remember: false);
        await store.PutAsync(key, body, default);
        await using (var db = farm.Db())
            await farm.Admin.RevokeSessionAsync(TestFarm.Steward, await db.Sessions.Where(s => s.Origin == SessionOrigin.MediaWiki).Select(s => s.Handle).SingleAsync(), "Stolen laptop");
        await store.DeleteAsync(key, default);

        var refused = await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(key, body, default));

        Assert.Equal(Failure.Forbidden, refused.Failure);
        Assert.Contains("revoked", refused.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Null(await store.GetAsync(key, default));
        Assert.Equal(0, farm.Store.Failures);
    }

    [Fact]
    public async Task A_key_whose_value_expired_and_was_swept_starts_a_new_session_when_MediaWiki_writes_it_again()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:expiredkey", default);
        await store.PutAsync(key, KaskBodies.Session(User, farm.Time.GetUtcNow().AddHours(1), remember: false), default);
        farm.Time.Advance(TimeSpan.FromHours(2));
        await farm.Sweeper.SweepOnceAsync();

        var body = KaskBodies.Session(User, farm.Time.GetUtcNow().AddHours(1), remember: false);
        Assert.True(await store.PutAsync(key, body, default));

        Assert.Equal(body, await store.GetAsync(key, default));
        Assert.Equal(0, farm.Store.Failures);
        await using var db = farm.Db();
        var sessions = await db.Sessions.Where(s => s.Origin == SessionOrigin.MediaWiki).OrderBy(s => s.Id).ToListAsync();
        Assert.Equal([EndReason.Expired, null], sessions.Select(s => s.EndReason));
    }

    [Fact]
    public async Task Time_ends_the_engines_sessions_as_idle_and_MediaWikis_sessions_and_remember_me_tokens_as_expired()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:lapses", default), KaskBodies.Session(User, farm.Time.GetUtcNow().AddHours(1), remember: false), default);
        var alice = await farm.LoginAsync(TestFarm.Alice, remember: true);
        var bob = await farm.LoginAsync(TestFarm.Bob);

        farm.Time.Advance(TimeSpan.FromHours(2));
        await farm.Sweeper.SweepOnceAsync();
        await using (var db = farm.Db())
        {
            Assert.Equal(EndReason.Expired, await db.Sessions.Where(s => s.Origin == SessionOrigin.MediaWiki).Select(s => s.EndReason).SingleAsync());
            Assert.Equal(EndReason.Idle, await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(bob.Session.Id)).Select(s => s.EndReason).SingleAsync());
        }

        // The remember-me token lives its fixed lifetime; the remembered session, unused as long, idles out.
        farm.Time.Advance(TimeSpan.FromDays(30));
        await farm.Sweeper.SweepOnceAsync();
        await using (var db = farm.Db())
        {
            Assert.Equal(EndReason.Expired, await db.RememberTokens.Select(t => t.EndReason).SingleAsync());
            Assert.Equal(EndReason.Idle, await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(alice.Session.Id)).Select(s => s.EndReason).SingleAsync());
        }
    }

    [Fact]
    public async Task What_time_ended_before_everyone_was_invalidated_is_recorded_as_time_and_the_rest_at_that_invalidation()
    {
        // Alice's session, central session and remember-me token run out first; Bob's are alive when everyone is
        // invalidated. A second invalidation later must not take the first one's place in either record.
        await using var farm = await StartAsync();
        await farm.LoginAsync(TestFarm.Alice, remember: true);
        farm.Time.Advance(TimeSpan.FromDays(31));
        await farm.LoginAsync(TestFarm.Bob, remember: true);
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");
        var invalidated = farm.Time.GetUtcNow();
        farm.Time.Advance(TimeSpan.FromHours(1));
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "The proxy leaked again");

        await farm.Sweeper.SweepOnceAsync();

        await using var db = farm.Db();
        var alice = await db.Users.Where(u => u.Name == TestFarm.Alice).Select(u => u.Id).SingleAsync();
        var ends = new[]
        {
            await db.Sessions.Where(s => s.UserId != null).Select(s => new { Alice = s.UserId == alice, Kind = "session", s.EndReason, s.EndedAt }).ToListAsync(),
            await db.CentralSessions.Select(c => new { Alice = c.UserId == alice, Kind = "central", c.EndReason, c.EndedAt }).ToListAsync(),
            await db.RememberTokens.Select(t => new { Alice = t.UserId == alice, Kind = "token", t.EndReason, t.EndedAt }).ToListAsync(),
        }.SelectMany(e => e).ToList();
        Assert.Equal(6, ends.Count);
        Assert.All(ends.Where(e => e.Alice), e => Assert.True(e.EndReason is EndReason.Idle or EndReason.Expired && e.EndedAt < invalidated, $"Alice's {e.Kind}: {e.EndReason} at {e.EndedAt}"));
        Assert.All(ends.Where(e => !e.Alice), e => Assert.True(e.EndReason == EndReason.EveryoneInvalidated && e.EndedAt == invalidated, $"Bob's {e.Kind}: {e.EndReason} at {e.EndedAt}"));
    }
}
