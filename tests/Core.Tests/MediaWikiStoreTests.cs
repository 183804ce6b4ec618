using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests;

/// <summary>MediaWiki's session store (the Kask protocol) on the console's sessions: what MediaWiki 1.39 writes, as recorded in KASK.md.</summary>
public abstract class MediaWikiStoreTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : MediaWikiStoreTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : MediaWikiStoreTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : MediaWikiStoreTests(StoreKind.SqlServer);

    private const string User = "PeerUser1";

    private static byte[] Body(int? userId, string? userName, string? token, long expires, bool remember = false, long loggedOut = 0)
    {
        var metadata = new Dictionary<string, object?>
        {
            ["provider"] = "MediaWiki\\Session\\CookieSessionProvider", ["providerMetadata"] = null, ["userId"] = userId ?? 0, ["userName"] = userName,
            ["userToken"] = token, ["remember"] = remember, ["forceHTTPS"] = false, ["expires"] = expires, ["loggedOut"] = loggedOut, ["persisted"] = true,
        };
        var json = System.Text.Json.JsonSerializer.Serialize(new { data = new { wsToken = "secret-csrf-salt" }, metadata });
        return Encoding.UTF8.GetBytes("JSON.c2lnbmF0dXJl." + json);
    }

    private static async Task<(MediaWikiStore Store, Wiki Wiki)> StoreAsync(TestFarm farm, string wiki = "testwiki") =>
        (farm.Services.GetRequiredService<MediaWikiStore>(), (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync(wiki, default))!);

    private static long Expires(TestFarm farm, TimeSpan after) => (farm.Time.GetUtcNow() + after).ToUnixTimeSeconds();

    [Fact]
    public async Task A_value_is_served_byte_for_byte_and_a_logged_in_one_is_a_session_of_its_wiki_without_its_id_or_data()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:m5gc0jb9vsaeq3hluj3pm0s1b8ncufai", default);
        var body = Body(3, User, "0123456789abcdef0123456789abcdef", Expires(farm, TimeSpan.FromHours(1)));

        Assert.True(await store.PutAsync(key, body, default));

        Assert.Equal(body, await store.GetAsync(key, default));
        await using var db = farm.Db();
        var session = await db.Sessions.Include(s => s.User).SingleAsync(s => s.Origin == SessionOrigin.MediaWiki);
        Assert.Equal((wiki.Id, User, ProviderKind.Cookie), (session.WikiId, session.User!.Name, session.Provider));
        Assert.Equal(farm.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), session.ExpiresAt.ToUnixTimeSeconds());
        Assert.DoesNotContain("m5gc0jb9", session.IdHash + session.Handle + session.Metadata);
        Assert.DoesNotContain("secret-csrf-salt", session.Metadata + session.Data);
        Assert.DoesNotContain("0123456789abcdef0123456789abcdef", session.Metadata);
        var blob = await db.Blobs.SingleAsync();
        Assert.DoesNotContain("secret-csrf-salt", Encoding.UTF8.GetString(blob.Body));
    }

    [Fact]
    public async Task A_revoked_or_invalidated_session_is_gone_for_MediaWiki_and_a_prevented_users_writes_are_refused()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        var first = await store.KeyAsync(wiki, "testwiki:MWSession:aaaa", default);
        var second = await store.KeyAsync(wiki, "testwiki:MWSession:bbbb", default);
        await store.PutAsync(first, Body(3, User, "t1", Expires(farm, TimeSpan.FromHours(1))), default);
        await store.PutAsync(second, Body(3, User, "t1", Expires(farm, TimeSpan.FromHours(1))), default);
        await using var db = farm.Db();
        var handle = await db.Sessions.Where(s => s.Origin == SessionOrigin.MediaWiki).OrderBy(s => s.Id).Select(s => s.Handle).FirstAsync();

        await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, "Stolen laptop");
        Assert.Null(await store.GetAsync(first, default));
        Assert.NotNull(await store.GetAsync(second, default));
        Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(first, Body(3, User, "t1", 0), default))).Failure);

        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, User, "Compromised");
        Assert.Null(await store.GetAsync(second, default));

        await farm.Admin.PreventUserAsync(TestFarm.Steward, User, "Vandalism");
        var again = await store.KeyAsync(wiki, "testwiki:MWSession:cccc", default);
        var refused = await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(again, Body(3, User, "t1", Expires(farm, TimeSpan.FromHours(1))), default));
        Assert.Contains("prevented", refused.Message);
    }

    [Fact]
    public async Task Another_wikis_keys_are_refused_and_expired_values_are_not_served()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(() => store.KeyAsync(wiki, "test2wiki:MWSession:aaaa", default))).Failure);

        var key = await store.KeyAsync(wiki, "testwiki:MWSession:dddd", default);
        await store.PutAsync(key, Body(null, null, null, Expires(farm, TimeSpan.FromMinutes(5))), default);
        Assert.NotNull(await store.GetAsync(key, default));
        farm.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await store.GetAsync(key, default));
    }

    [Fact]
    public async Task A_delete_then_a_new_key_for_the_same_user_is_a_rotation_and_then_an_anonymous_logged_out_one_a_logout_with_a_trace()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        var anonymous = await store.KeyAsync(wiki, "testwiki:MWSession:anon1", default);
        var loggedIn = await store.KeyAsync(wiki, "testwiki:MWSession:user1", default);
        var afterLogout = await store.KeyAsync(wiki, "testwiki:MWSession:anon2", default);
        var expires = Expires(farm, TimeSpan.FromHours(1));
        await store.PutAsync(anonymous, Body(null, null, null, expires), default);
        await store.PutAsync(anonymous, Body(3, User, "tok", expires), default);
        await store.DeleteAsync(anonymous, default);
        await store.PutAsync(loggedIn, Body(3, User, "tok", expires), default);

        await store.DeleteAsync(loggedIn, default);
        await store.PutAsync(afterLogout, Body(null, null, null, expires, loggedOut: farm.Time.GetUtcNow().ToUnixTimeSeconds()), default);

        await using var db = farm.Db();
        var reasons = await db.Sessions.Where(s => s.Origin == SessionOrigin.MediaWiki).OrderBy(s => s.Id).Select(s => s.EndReason).ToListAsync();
        Assert.Equal([EndReason.Replaced, EndReason.LoggedOut, null], reasons);
        var trace = await db.LogoutTraces.Include(t => t.Steps).SingleAsync();
        Assert.Equal((wiki.Id, LogoutOutcome.Complete), (trace.StartedOnWikiId, trace.Outcome));
        Assert.Equal(wiki.Id, Assert.Single(trace.Steps).WikiId);
        Assert.Null(await store.GetAsync(loggedIn, default));
    }

    [Fact]
    public async Task A_session_restored_from_the_Token_cookie_after_an_invalidation_is_flagged_as_a_resurrection()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        var expires = Expires(farm, TimeSpan.FromDays(30));
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:r1", default), Body(3, User, "remembered", expires, remember: true), default);
        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, User, "Compromised");

        // MediaWiki restores the user from its own user table and the Token cookie: a new key, the same user token.
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:r2", default), Body(3, User, "remembered", expires, remember: true), default);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:r3", default), Body(3, User, "a-new-token", expires, remember: true), default);

        await using var db = farm.Db();
        var resurrection = Assert.Single(await db.Events.Where(e => e.Kind == SessionEventKind.Resurrection).ToListAsync());
        Assert.Contains("Token cookie", resurrection.Detail);
        Assert.Equal(await db.Sessions.Where(s => s.IdHash.Length > 0 && s.Origin == SessionOrigin.MediaWiki).OrderBy(s => s.Id).Skip(1).Select(s => s.Handle).FirstAsync(),
            resurrection.SessionHandle);
    }

    [Fact]
    public async Task A_metadata_change_of_a_key_is_recorded_and_the_user_token_shows_only_as_changed()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:m1", default);
        var expires = Expires(farm, TimeSpan.FromHours(1));
        await store.PutAsync(key, Body(3, User, "first-token", expires), default);
        await store.PutAsync(key, Body(3, User, "first-token", expires + 60), default);
        await store.PutAsync(key, Body(3, User, "second-token", expires + 120, remember: true), default);

        await using var db = farm.Db();
        var diff = Assert.Single(await db.MetadataDiffs.ToListAsync());
        Assert.Equal("remember,userToken", diff.ConflictingKeys);
        Assert.Contains("(hidden, changed)", diff.Provided);
        Assert.DoesNotContain("token", (diff.Saved + diff.Provided).Replace("userToken", ""), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Invalidating_a_MediaWiki_user_says_that_the_Token_cookie_can_restore_them_until_the_wiki_resets_the_token()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await StoreAsync(farm);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:s1", default), Body(3, User, "tok", Expires(farm, TimeSpan.FromDays(30)), remember: true), default);

        var done = await farm.Admin.InvalidateUserAsync(TestFarm.Steward, User, "Compromised");

        Assert.True(done.Check.Passed);
        Assert.Contains("MediaWiki on testwiki can restore PeerUser1 from a remember-me Token cookie", done.Survives);
        Assert.Contains("invalidateUserSessions.php", done.Survives);
    }

    [Fact]
    public async Task With_a_reset_command_the_token_is_reset_on_the_wiki_and_the_outcome_is_audited()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"reset-{Guid.NewGuid():N}");
        await using var farm = await StartAsync(configuration: new()
        {
            ["MediaWiki:Wikis:testwiki:ResetTokenCommand"] = $"/usr/bin/touch {marker}-{{user}}",
        });
        var (store, wiki) = await StoreAsync(farm);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:s1", default), Body(3, User, "tok", Expires(farm, TimeSpan.FromDays(30)), remember: true), default);

        var done = await farm.Admin.InvalidateUserAsync(TestFarm.Steward, User, "Compromised");

        Assert.Null(done.Survives);
        Assert.True(File.Exists($"{marker}-{User}"));
        var audit = (await farm.FarmQueries.AuditAsync()).Items.Single(a => a.Action == "reset-mediawiki-token");
        Assert.Equal("token of PeerUser1 reset on testwiki", audit.Detail);
        File.Delete($"{marker}-{User}");
    }
}
