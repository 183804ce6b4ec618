using System.Text;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.Sessions;

/// <summary>The hot paths' cache: reads stay off the store, and no eviction is ever lost to a read in flight.</summary>
public sealed class SessionCacheTests
{
    private static Session Live(int? userId = 7, string hash = "a1b2c3") => new()
    {
        IdHash = hash, Handle = "h", WikiId = 1, UserId = userId, Metadata = "{}", ExpiresAt = DateTimeOffset.MaxValue,
    };

    [Fact]
    public void A_copy_read_before_an_eviction_is_never_kept()
    {
        // The store read happens between Changes and Put; an eviction in that window means the copy may be stale.
        foreach (var evict in new Action<SessionCache>[] { c => c.EvictUser(7), c => c.EvictKey("a1b2c3"), c => c.EvictAll(), c => c.Apply("u:7") })
        {
            var cache = new SessionCache();
            var seen = cache.Changes;
            evict(cache);
            cache.Put(seen, Live(), new Dictionary<string, string>());
            Assert.Null(cache.Session(1, "a1b2c3"));
        }
    }

    [Fact]
    public void An_eviction_ends_exactly_what_it_names_and_an_unknown_message_ends_everything()
    {
        var cache = new SessionCache();
        cache.Put(cache.Changes, Live(7, "a1b2c3"), new Dictionary<string, string>());
        cache.Put(cache.Changes, Live(8, "f00000"), new Dictionary<string, string>());
        var heard = new List<string>();
        cache.Evicted += heard.Add;

        cache.EvictUser(7);
        Assert.Null(cache.Session(1, "a1b2c3"));
        Assert.NotNull(cache.Session(1, "f00000"));
        Assert.Equal(["u:7"], heard);

        cache.Apply("from a newer instance");
        Assert.Null(cache.Session(1, "f00000"));
        Assert.Single(heard); // applied from elsewhere: not sent on again
    }

    [Fact]
    public void A_cache_that_cannot_hear_other_instances_serves_nothing_and_restarts_empty()
    {
        var cache = new SessionCache();
        cache.Put(cache.Changes, Live(), new Dictionary<string, string>());
        cache.Enabled = false;
        Assert.Null(cache.Session(1, "a1b2c3"));
        cache.Put(cache.Changes, Live(), new Dictionary<string, string>());
        cache.Enabled = true;
        Assert.Null(cache.Session(1, "a1b2c3"));
    }

    [Fact]
    public async Task An_instance_that_missed_an_invalidate_everyone_refuses_old_cookies_once_its_backstop_passes()
    {
        await using var farm = await TestFarm.StartAsync();
        await using var other = farm.AnotherInstance();
        // Its copies are trusted for no time at all: only the backstop can end what it missed.
        other.GetRequiredService<SessionCache>().Backstop = TimeSpan.Zero;
        var login = await farm.LoginAsync();
        var request = new ResolveRequest("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"), null, null, TestFarm.Browser);
        Assert.NotNull((await other.GetRequiredService<SessionService>().ResolveAsync(request)).Session);

        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Cookies leaked by a caching proxy");

        Assert.Null((await other.GetRequiredService<SessionService>().ResolveAsync(request)).Session);
    }

    [Fact]
    public void An_instance_that_evicted_while_cut_off_tells_the_others_to_start_over_when_it_hears_them_again()
    {
        var cache = new SessionCache();
        var sent = new List<string>();
        cache.Evicted += sent.Add;

        cache.Enabled = false;
        cache.Enabled = true;
        Assert.Empty(sent);

        cache.Enabled = false;
        cache.EvictUser(7);
        cache.Enabled = true;
        Assert.Equal(["u:7", "*"], sent);

        cache.Enabled = false;
        cache.Enabled = true;
        Assert.Equal(2, sent.Count);
    }

    [Fact]
    public void Entries_are_not_trusted_past_their_backstop_age()
    {
        var cache = new SessionCache { Backstop = TimeSpan.Zero };
        cache.Put(cache.Changes, Live(), new Dictionary<string, string>());
        Assert.Null(cache.Session(1, "a1b2c3"));
    }

    [Fact]
    public async Task Resolves_of_an_active_session_write_nothing_and_read_the_store_a_bounded_number_of_times()
    {
        await using var farm = await TestFarm.StartAsync();
        var cookies = TestFarm.CookiesFor((await farm.LoginAsync()).SetCookies, "en.wikipedia.org");
        farm.Commands.Reset();

        for (var i = 0; i < 1_000; i++)
            Assert.NotNull((await farm.ResolveAsync("enwiki", cookies)).Session);

        Assert.Equal(0, farm.Commands.Writes);
        // The first resolve reads the farm state and the session; the rest are answered from memory.
        Assert.InRange(farm.Commands.Reads, 1, 4);
    }

    [Fact]
    public async Task A_logout_or_a_revoke_ends_a_session_that_resolves_from_memory_before_its_answer_returns()
    {
        await using var farm = await TestFarm.StartAsync();
        var login = await farm.LoginAsync();
        var cookies = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
        Assert.NotNull((await farm.ResolveAsync("enwiki", cookies)).Session);
        farm.Commands.Reset();
        Assert.NotNull((await farm.ResolveAsync("enwiki", cookies)).Session);
        Assert.Equal(0, farm.Commands.Total); // from memory

        await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", cookies, null, LogoutScope.Local, TestFarm.Browser));
        Assert.Null((await farm.ResolveAsync("enwiki", cookies)).Session);

        var again = TestFarm.CookiesFor((await farm.LoginAsync(TestFarm.Bob)).SetCookies, "en.wikipedia.org");
        Assert.NotNull((await farm.ResolveAsync("enwiki", again)).Session);
        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, TestFarm.Bob, "test");
        Assert.Null((await farm.ResolveAsync("enwiki", again)).Session);
    }

    [Fact]
    public async Task A_listener_told_of_a_logout_or_a_rejection_finds_what_it_ended_already_gone_from_memory()
    {
        // The write path commits, evicts, then publishes: a dashboard or another wiki reacting to the notice never reads a stale copy.
        await using var farm = await TestFarm.StartAsync();
        var cache = farm.Services.GetRequiredService<SessionCache>();
        var en = (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync("enwiki", default))!;
        var heard = new List<(SessionEventKind Kind, bool Cached)>();
        string? hash = null;
        using var listening = farm.Feed.Subscribe(n => { if (hash is not null) heard.Add((n.Kind, cache.Session(en.Id, hash) is not null)); });

        foreach (var end in new Func<Dictionary<string, string>, Task>[]
        {
            cookies => farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", cookies, null, LogoutScope.Local, TestFarm.Browser)),
            cookies => farm.ResolveAsync("enwiki", new Dictionary<string, string>(cookies) { ["enwikiUserName"] = "Someone Else" }),
        })
        {
            var login = await farm.LoginAsync();
            var cookies = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
            Assert.NotNull((await farm.ResolveAsync("enwiki", cookies)).Session);
            hash = Secrets.Sha256(login.Session.Id);
            Assert.NotNull(cache.Session(en.Id, hash));
            await end(cookies);
            hash = null;
        }

        Assert.Equal([SessionEventKind.LogoutTraceFinished, SessionEventKind.MetadataRejected], heard.Select(h => h.Kind));
        Assert.All(heard, h => Assert.False(h.Cached));
    }

    [Fact]
    public async Task Store_reads_of_a_live_value_write_nothing_and_a_delete_ends_them_at_once()
    {
        await using var farm = await TestFarm.StartAsync();
        var store = farm.Services.GetRequiredService<MediaWikiStore>();
        var wiki = (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync("testwiki", default))!;
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:cachedsession0000000000000000001", default);
        var expires = (farm.Time.GetUtcNow() + TimeSpan.FromHours(1)).ToUnixTimeSeconds();
        var body = Encoding.UTF8.GetBytes($$$"""JSON..{"data":{},"metadata":{"provider":"MediaWiki\\Session\\CookieSessionProvider","userId":3,"userName":"Cached User","userToken":"0123456789abcdef0123456789abcdef","remember":false,"expires":{{{expires}}},"loggedOut":0,"persisted":true}}""");
        await store.PutAsync(key, body, default);
        farm.Commands.Reset();

        for (var i = 0; i < 500; i++) Assert.Equal(body, await store.GetAsync(key, default));
        Assert.Equal(0, farm.Commands.Writes);
        Assert.InRange(farm.Commands.Reads, 1, 4);

        await store.DeleteAsync(key, default);
        Assert.Null(await store.GetAsync(key, default));
    }

    [Fact]
    public void Large_values_keep_the_cache_under_its_byte_bound_and_what_it_keeps_reads_back_right()
    {
        const long bound = 1024 * 1024;
        var cache = new SessionCache(maxBytes: bound);
        for (var i = 0; i < 200; i++)
        {
            var hash = $"{i:x3}{new string('0', 61)}";
            var body = Enumerable.Repeat((byte)i, 64 * 1024).ToArray();
            cache.PutBlob(cache.Changes, hash, body, DateTimeOffset.MaxValue, DateTimeOffset.MinValue, null, null);
            Assert.InRange(cache.Bytes, 64 * 1024, bound);
            Assert.Equal(body, cache.Blob(hash)?.Body);
        }

        // Rewriting a kept value counts it once; an eviction of everything gives every byte back.
        var last = $"{199:x3}{new string('0', 61)}";
        var before = cache.Bytes;
        cache.PutBlob(cache.Changes, last, new byte[64 * 1024], DateTimeOffset.MaxValue, DateTimeOffset.MinValue, null, null);
        Assert.Equal(before, cache.Bytes);
        cache.EvictAll();
        Assert.Equal(0, cache.Bytes);
        // A value larger than the whole bound is not kept at all.
        cache.PutBlob(cache.Changes, last, new byte[bound], DateTimeOffset.MaxValue, DateTimeOffset.MinValue, null, null);
        Assert.Equal(0, cache.Bytes);
    }
}
