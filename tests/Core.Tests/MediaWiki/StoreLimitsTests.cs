using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>No key of one wiki can hold the disk or the memory of the farm: every value expires, each wiki has a quota, the cache a byte bound.</summary>
public abstract class StoreLimitsTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : StoreLimitsTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : StoreLimitsTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : StoreLimitsTests(StoreKind.SqlServer);

    private static byte[] Opaque(int length, byte fill = 0x61) => Enumerable.Repeat(fill, length).ToArray();

    [Fact]
    public async Task A_value_without_an_expiry_lives_one_day_and_the_sweeper_then_deletes_it()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var opaque = await store.KeyAsync(wiki, "testwiki:echo:seen:42", default);
        var session = await store.KeyAsync(wiki, "testwiki:MWSession:ttl1", default);
        await store.PutAsync(opaque, Opaque(100), default);
        await store.PutAsync(session, KaskBodies.Raw("""{"userId":0,"userName":null,"expires":null}"""), default);

        farm.Time.Advance(TimeSpan.FromHours(23));
        Assert.NotNull(await store.GetAsync(opaque, default));
        farm.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Null(await store.GetAsync(opaque, default));
        Assert.Null(await store.GetAsync(session, default));

        Assert.Equal(2, (await farm.Sweeper.SweepOnceAsync()).DeletedValues);
        await using var db = farm.Db();
        Assert.Equal(0, await db.Blobs.CountAsync());
    }

    [Fact]
    public async Task An_expiry_past_the_maximum_is_cut_to_it()
    {
        await using var farm = await StartAsync(o => o.StoreMaxTtl = TimeSpan.FromDays(7));
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:ttl2", default);
        await store.PutAsync(key, KaskBodies.Session("Far Future", farm.Time.GetUtcNow().AddYears(50)), default);

        await using var db = farm.Db();
        Assert.Equal(farm.Time.GetUtcNow().AddDays(7), (await db.Blobs.SingleAsync()).ExpiresAt);
        Assert.Equal(farm.Time.GetUtcNow().AddDays(7), (await db.Sessions.SingleAsync(s => s.Origin == SessionOrigin.MediaWiki)).ExpiresAt);
        farm.Time.Advance(TimeSpan.FromDays(7));
        Assert.Null(await store.GetAsync(key, default));
    }

    [Fact]
    public async Task A_value_kept_before_every_value_expired_is_swept_a_day_after_its_last_write()
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:legacy:1", default), Opaque(10), default);
        await using var db = farm.Db();
        await db.Blobs.ExecuteUpdateAsync(u => u.SetProperty(b => b.ExpiresAt, (DateTimeOffset?)null));

        Assert.Equal(0, (await farm.Sweeper.SweepOnceAsync()).DeletedValues);
        farm.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(1, (await farm.Sweeper.SweepOnceAsync()).DeletedValues);
    }

    [Fact]
    public async Task A_write_past_the_wikis_quota_is_refused_and_counted_and_room_comes_back_after_a_delete_or_a_sweep()
    {
        await using var farm = await StartAsync(o => o.StoreQuotaBytesPerWiki = 250_000);
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var (_, other) = await KaskBodies.StoreAsync(farm, "test2wiki");
        var metrics = farm.Services.GetRequiredService<Core.Metrics.SessionMetrics>();
        var keys = new List<MediaWikiStore.StoreKey>();
        for (var i = 0; i < 4; i++) keys.Add(await store.KeyAsync(wiki, $"testwiki:blob:{i}", default));
        for (var i = 0; i < 3; i++) await store.PutAsync(keys[i], Opaque(64 * 1024), default);

        var refused = await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(keys[3], Opaque(64 * 1024), default));

        Assert.Equal(Failure.QuotaExceeded, refused.Failure);
        Assert.Contains("quota of 250,000 bytes", refused.Message);
        Assert.Null(await store.GetAsync(keys[3], default));
        Assert.Equal(1, metrics.Peek()["testwiki"][(int)Core.Metrics.Signal.RefusedWrites]);
        // Rewriting a value at the same size, and another wiki's writes, take nothing from the quota.
        await store.PutAsync(keys[0], Opaque(64 * 1024, 0x62), default);
        await store.PutAsync(await store.KeyAsync(other, "test2wiki:blob:0", default), Opaque(64 * 1024), default);

        await store.DeleteAsync(keys[1], default);
        await store.PutAsync(keys[3], Opaque(64 * 1024), default);
        Assert.Equal(Opaque(64 * 1024), await store.GetAsync(keys[3], default));

        farm.Time.Advance(TimeSpan.FromDays(1));
        await farm.Sweeper.SweepOnceAsync();
        await store.PutAsync(keys[1], Opaque(64 * 1024), default);
    }

    [Fact]
    public async Task Reading_many_large_values_keeps_the_cache_under_its_byte_bound_and_every_read_answers_right()
    {
        const long bound = 1024 * 1024;
        await using var farm = await StartAsync(o => o.CacheMaxBytes = bound);
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var cache = farm.Services.GetRequiredService<SessionCache>();
        var keys = new List<MediaWikiStore.StoreKey>();
        for (var i = 0; i < 60; i++)
        {
            keys.Add(await store.KeyAsync(wiki, $"testwiki:big:{i}", default));
            await store.PutAsync(keys[i], Opaque(64 * 1024, (byte)i), default);
        }

        var largest = 0L;
        for (var round = 0; round < 2; round++)
            for (var i = 0; i < keys.Count; i++)
            {
                Assert.Equal(Opaque(64 * 1024, (byte)i), await store.GetAsync(keys[i], default));
                largest = Math.Max(largest, cache.Bytes);
            }

        Assert.InRange(largest, 10 * 64 * 1024, bound);
        Console.WriteLine($"Cache: at most {largest:N0} bytes of a {bound:N0}-byte bound over 120 reads of 60 distinct 64 KB values");
    }
}
