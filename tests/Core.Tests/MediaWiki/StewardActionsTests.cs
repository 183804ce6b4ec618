using Microsoft.EntityFrameworkCore;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>What a steward's action says survives on MediaWiki wikis: the Token cookie, unless the wiki's token reset ran.</summary>
public abstract class StewardActionsTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : StewardActionsTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : StewardActionsTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : StewardActionsTests(StoreKind.SqlServer);

    private static async Task RememberedAsync(TestFarm farm, string wikiName, string key, string user, bool remember = true)
    {
        var (store, wiki) = await KaskBodies.StoreAsync(farm, wikiName);
        await store.PutAsync(await store.KeyAsync(wiki, $"{wikiName}:MWSession:{key}", default), KaskBodies.Session(user, farm.Time.GetUtcNow().AddDays(30), remember: remember), default);
    }

    [Fact]
    public async Task Invalidating_everyone_names_the_wikis_whose_MediaWiki_Token_cookies_survive_and_how_to_end_them()
    {
        await using var farm = await StartAsync();
        await RememberedAsync(farm, "testwiki", "everyone1", "Eve'$(id -un)'");
        await RememberedAsync(farm, "test2wiki", "everyone2", "Not Remembered", remember: false);

        var done = await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Incident");

        Assert.NotNull(done.Survives);
        Assert.Contains("MediaWiki on testwiki can restore 1 user (Eve'$(id -un)') from a remember-me Token cookie", done.Survives);
        Assert.Contains(@"php maintenance/invalidateUserSessions.php --user 'Eve'\''$(id -un)'\'''", done.Survives);
        Assert.Contains("$wgAuthenticationTokenVersion", done.Survives);
        Assert.DoesNotContain("test2wiki", done.Survives);
    }

    [Fact]
    public async Task Invalidating_everyone_runs_each_MediaWiki_wikis_token_reset_for_its_remembered_users()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"reset-{Guid.NewGuid():N}");
        await using var farm = await StartAsync(configuration: new()
        {
            ["MediaWiki:Wikis:testwiki:ResetTokenCommand"] = $"/usr/bin/touch {marker}-{{user}}",
        });
        await RememberedAsync(farm, "testwiki", "everyone3", "Remembered One");
        await RememberedAsync(farm, "testwiki", "everyone4", "Remembered Two");

        var done = await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Incident");

        Assert.Null(done.Survives);
        Assert.True(File.Exists($"{marker}-Remembered One"));
        Assert.True(File.Exists($"{marker}-Remembered Two"));
        var audit = (await farm.FarmQueries.AuditAsync()).Items.Where(a => a.Action == "reset-mediawiki-token").Select(a => a.Detail).Order().ToList();
        Assert.Equal(["token of Remembered One reset on testwiki", "token of Remembered Two reset on testwiki"], audit);
        File.Delete($"{marker}-Remembered One");
        File.Delete($"{marker}-Remembered Two");
    }

    [Fact]
    public async Task Revoking_a_remembered_MediaWiki_session_in_either_scope_says_the_Token_cookie_survives_and_a_plain_one_says_nothing_survives()
    {
        await using var farm = await StartAsync();
        await RememberedAsync(farm, "testwiki", "revoke1", "Remembered Revokee");
        await RememberedAsync(farm, "testwiki", "revoke2", "Remembered Revokee");
        await RememberedAsync(farm, "testwiki", "revoke3", "Plain Revokee", remember: false);
        await using var db = farm.Db();
        var handles = await db.Sessions.Where(s => s.Origin == SessionOrigin.MediaWiki).OrderBy(s => s.Id).Select(s => s.Handle).ToListAsync();

        var browser = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handles[0], "Stolen laptop", RevokeScope.Browser);
        var session = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handles[1], "Stolen laptop", RevokeScope.Session);
        var plain = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handles[2], "Stolen laptop");

        Assert.Contains("remember-me Token cookie", browser.Survives);
        Assert.Contains("remember-me Token cookie", session.Survives);
        Assert.Null(plain.Survives);
    }

    [Fact]
    public async Task Preventing_a_MediaWiki_user_says_the_Token_cookie_can_still_restore_them_where_no_reset_is_configured()
    {
        await using var farm = await StartAsync();
        await RememberedAsync(farm, "testwiki", "prevent1", "Prevented Remembered");

        var done = await farm.Admin.PreventUserAsync(TestFarm.Steward, "Prevented Remembered", "Vandalism");

        Assert.Contains("MediaWiki on testwiki can restore Prevented Remembered from a remember-me Token cookie", done.Survives);
        Assert.Contains("invalidateUserSessions.php --user 'Prevented Remembered'", done.Survives);
    }
}
