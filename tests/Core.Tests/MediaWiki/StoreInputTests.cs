using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Admin;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>What a wiki writes in a session's metadata is a wiki user's doing: it is checked before it is kept, and cleaned before it is logged.</summary>
public abstract class StoreInputTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : StoreInputTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : StoreInputTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : StoreInputTests(StoreKind.SqlServer);

    [Theory]
    [InlineData("Eve\nINFO Steward logged in")]
    [InlineData("Eve\r")]
    [InlineData("Eve\0")]
    [InlineData("Eve\u0085")]
    [InlineData("Eve\u001b[31m")]
    public async Task A_user_name_with_a_control_character_is_refused_and_nothing_is_stored(string name)
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:ctrl1", default);

        var refused = await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(key, KaskBodies.Session(name, farm.Time.GetUtcNow().AddHours(1)), default));

        Assert.Equal(Failure.Invalid, refused.Failure);
        Assert.Contains("'metadata.userName' holds a control character", refused.Message);
        Assert.Null(await store.GetAsync(key, default));
        await using var db = farm.Db();
        Assert.False(await db.Users.AnyAsync(u => u.Name.StartsWith("Eve")));
        Assert.Equal(0, await db.Blobs.CountAsync());
    }

    [Theory]
    [InlineData("""{"userId":3,"userName":"Eve\ud800","expires":4102444800}""")]
    [InlineData("""{"userId":3,"userName":"Eve","provider":"x\udc00","expires":4102444800}""")]
    [InlineData("""{"userId":0,"userName":null,"userToken":"\ud800\ud800","expires":4102444800}""")]
    public async Task A_lone_surrogate_in_the_metadata_is_refused_as_invalid_and_nothing_is_stored(string metadata)
    {
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var key = await store.KeyAsync(wiki, "testwiki:MWSession:surrogate1", default);

        var refused = await Assert.ThrowsAsync<SessionException>(() => store.PutAsync(key, KaskBodies.Raw(metadata), default));

        Assert.Equal(Failure.Invalid, refused.Failure);
        Assert.Contains("lone surrogate", refused.Message);
        Assert.Null(await store.GetAsync(key, default));
        await using var db = farm.Db();
        Assert.Equal(0, await db.Blobs.CountAsync());
    }

    [Fact]
    public async Task A_user_name_the_store_accepts_can_be_looked_up_and_acted_on_by_the_same_rule()
    {
        // The store and the admin API share one rule: what one keeps, the other can reach.
        const string name = "Ëve O'Brien-名前 😀 $(x)";
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:rule1", default), KaskBodies.Session(name, farm.Time.GetUtcNow().AddHours(1)), default);

        Assert.Equal(name, UserNames.Check(name));
        Assert.Equal(name, (await farm.UserQueries.UserAsync(name)).Name);
        Assert.Equal(1, (await farm.Admin.InvalidateUserAsync(TestFarm.Steward, name, "Compromised")).SessionsEnded);
    }

    [Fact]
    public async Task A_steward_action_on_a_name_with_line_breaks_and_NUL_is_logged_as_one_line()
    {
        await using var farm = await StartAsync();
        // PostgreSQL's text holds no NUL at all, so there no stored name or reason can carry one.
        var nul = Store == StoreKind.PostgreSql ? "" : "\0";
        // A user kept before names were checked, a reason typed over several lines, and a staff name from elsewhere.
        var name = "Eve\r\n[WRN] steward did prevent-user on Alice" + nul;
        await using (var db = farm.Db())
        {
            db.Users.Add(new GlobalUser { Name = name, Token = Secrets.NewToken(), CreatedAt = farm.Time.GetUtcNow() });
            await db.SaveChangesAsync();
        }

        await farm.Admin.InvalidateUserAsync(new StaffActor("steward\nroot", StaffRole.Steward), name, "Spam\r\n[INF] all is well" + nul);

        var line = Assert.Single(farm.Logs.Messages, m => m.Contains("invalidate-user"));
        Assert.DoesNotContain('\n', line.TrimEnd());
        Assert.DoesNotContain('\r', line);
        Assert.DoesNotContain('\0', line);
        Assert.Contains(@"\r\n[WRN]", line);
        Assert.Contains(@"Spam\r\n[INF] all is well" + (nul == "" ? "" : @"\u0000"), line);
    }

    [Fact]
    public async Task A_resurrection_warning_shows_a_name_with_line_separators_and_bidi_controls_escaped()
    {
        // Not control characters, so a name may hold them; a log viewer may still break the line or reverse it.
        const string name = "Eve\u2028FORGED\u202Eevil";
        await using var farm = await StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        var expires = farm.Time.GetUtcNow().AddDays(1);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:res1", default), KaskBodies.Session(name, expires), default);
        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, name, "Compromised");

        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:res2", default), KaskBodies.Session(name, expires), default);

        var line = Assert.Single(farm.Logs.Messages, m => m.StartsWith("Resurrection on testwiki", StringComparison.Ordinal));
        Assert.Contains(@"'Eve\u2028FORGED\u202eevil'", line);
        Assert.DoesNotContain('\u2028', line);
        Assert.DoesNotContain('\u202E', line);
    }
}
