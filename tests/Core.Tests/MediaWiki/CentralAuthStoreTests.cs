using System.Text;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>
/// The store under Wikimedia's settings (serialization_type PHP, an hmac_key) and CentralAuth's farm-wide keys, which
/// every wiki of the farm writes with its own wiki key.
/// </summary>
public sealed class CentralAuthStoreTests
{
    private const string User = "Central Ada";

    [Fact]
    public async Task A_PHP_serialized_signed_session_is_served_byte_for_byte_and_listed_with_its_user_and_central_link()
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm, "enwiki");
        var key = await store.KeyAsync(wiki, "enwiki:MWSession:php1", default);
        var body = KaskBodies.PhpSession(User, farm.Time.GetUtcNow().AddHours(1), centralSessionId: "c0ffee", hmacKey: "12345");

        Assert.True(await store.PutAsync(key, body, default));

        Assert.Equal(body, await store.GetAsync(key, default));
        await using var db = farm.Db();
        var session = await db.Sessions.Include(s => s.User).SingleAsync(s => s.Origin == SessionOrigin.MediaWiki);
        Assert.Equal((wiki.Id, User, true), (session.WikiId, session.User!.Name, session.Remember));
        Assert.Equal(farm.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds(), session.ExpiresAt.ToUnixTimeSeconds());
        Assert.DoesNotContain("secret-csrf-salt", session.Metadata + session.Data);
        var metadata = MediaWikiMetadata.Parse(body)!;
        Assert.Equal(("c0ffee", true), (metadata.CentralSessionId, metadata.FromCentralAuth));
    }

    [Theory]
    [InlineData("PHP..O:8:\"stdClass\":0:{}", "an object")]
    [InlineData("PHP..a:1:{i:0;r:1;}", "a reference")]
    [InlineData("PHP..a:2:{s:4:\"data\";a:0:{}", "ends early")]
    [InlineData("JSON..{\"data\":", "not valid JSON")]
    [InlineData("igbinary-ish bytes", "does not start with JSON. or PHP.")]
    public async Task An_unreadable_session_value_is_kept_and_served_and_the_console_says_why(string written, string why)
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:opaque1", default);
        var body = Encoding.UTF8.GetBytes(written);

        Assert.True(await store.PutAsync(key, body, default));
        Assert.False(await store.PutAsync(key, body, default));

        Assert.Equal(body, await store.GetAsync(key, default));
        await using var db = farm.Db();
        Assert.False(await db.Sessions.AnyAsync(s => s.Origin == SessionOrigin.MediaWiki));
        var said = await db.Events.SingleAsync(e => e.Kind == SessionEventKind.OpaqueValue);
        Assert.Equal(wiki.Id, said.WikiId);
        Assert.Contains(why, said.Detail);
        Assert.Contains("kept and served as written", said.Detail);
    }

    [Fact]
    public async Task CentralAuth_keys_are_the_farms_any_wiki_key_reads_and_writes_them_and_each_value_records_its_last_writer()
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, enwiki) = await KaskBodies.StoreAsync(farm, "enwiki");
        var (_, dewiki) = await KaskBodies.StoreAsync(farm, "dewiki");
        const string central = "centralauth:session:0123456789abcdef0123456789abcdef";
        var body = Encoding.UTF8.GetBytes("PHP..a:1:{s:4:\"user\";s:11:\"Central Ada\";}");

        Assert.True(await store.PutAsync(await store.KeyAsync(enwiki, central, default), body, default));
        var fromDe = await store.KeyAsync(dewiki, central, default);
        Assert.Equal(body, await store.GetAsync(fromDe, default));
        Assert.Equal(CentralAuthKeys.SessionKind, fromDe.Kind);

        await using (var db = farm.Db())
            Assert.Equal(enwiki.Id, (await db.Blobs.SingleAsync()).WikiId);
        Assert.False(await store.PutAsync(fromDe, body, default));
        await using (var db = farm.Db())
            Assert.Equal(dewiki.Id, (await db.Blobs.SingleAsync()).WikiId);

        // A wiki's own keys stay its own.
        var refused = await Assert.ThrowsAsync<SessionException>(() => store.KeyAsync(dewiki, "enwiki:MWSession:abc", default));
        Assert.Equal(Failure.Forbidden, refused.Failure);
    }

    [Fact]
    public async Task One_time_tokens_are_stored_and_served_but_are_not_sessions()
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, loginwiki) = await KaskBodies.StoreAsync(farm, "loginwiki");
        var (_, enwiki) = await KaskBodies.StoreAsync(farm, "enwiki");
        const string token = "centralauth:centralautologin-token:6f1e2d3c4b5a69788796a5b4c3d2e1f0:enwiki";
        var body = Encoding.UTF8.GetBytes("PHP..a:2:{s:8:\"userName\";s:11:\"Central Ada\";s:5:\"token\";s:4:\"abcd\";}");

        await store.PutAsync(await store.KeyAsync(loginwiki, token, default), body, default);
        var fromEn = await store.KeyAsync(enwiki, token, default);

        Assert.Equal(CentralAuthKeys.TokenKind, fromEn.Kind);
        Assert.Equal(body, await store.GetAsync(fromEn, default));
        Assert.True(await store.DeleteAsync(fromEn, default));
        Assert.Null(await store.GetAsync(fromEn, default));
        await using var db = farm.Db();
        Assert.False(await db.Sessions.AnyAsync(s => s.Origin == SessionOrigin.MediaWiki));
        Assert.False(await db.Users.AnyAsync(u => u.Name == "Central Ada"));
    }

    [Fact]
    public async Task A_wiki_confined_to_its_own_keys_cannot_touch_CentralAuths_keys()
    {
        await using var farm = await TestFarm.StartAsync(configuration: new() { ["MediaWiki:Wikis:testwiki:OwnKeysOnly"] = "true" });
        var (store, testwiki) = await KaskBodies.StoreAsync(farm);
        var (_, enwiki) = await KaskBodies.StoreAsync(farm, "enwiki");

        var refused = await Assert.ThrowsAsync<SessionException>(() => store.KeyAsync(testwiki, "centralauth:session:abc", default));

        Assert.Equal(Failure.Forbidden, refused.Failure);
        Assert.Contains("MediaWiki:Wikis:testwiki:OwnKeysOnly", refused.Message);
        Assert.Equal(CentralAuthKeys.SessionKind, (await store.KeyAsync(enwiki, "centralauth:session:abc", default)).Kind);
        Assert.Equal("MWSession", (await store.KeyAsync(testwiki, "testwiki:MWSession:abc", default)).Kind);
    }
}
