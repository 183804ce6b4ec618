using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace WikiSessions.Core.Tests;

public abstract class ProviderTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : ProviderTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : ProviderTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : ProviderTests(StoreKind.SqlServer);

    [Fact]
    public async Task When_two_providers_recognise_a_request_the_higher_priority_wins()
    {
        await using var farm = await StartAsync();
        var browser = await farm.LoginAsync();
        var bot = await farm.LoginAsync(provider: ProviderKind.BotPassword);
        var both = TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org");
        foreach (var (name, value) in TestFarm.CookiesFor(bot.SetCookies, "en.wikipedia.org")) both[name] = value;

        var resolved = await farm.ResolveAsync("enwiki", both);

        Assert.Equal("botpassword", resolved.Session?.Provider);
        Assert.Equal(bot.Session.Id, resolved.Session?.Id);
    }

    [Fact]
    public async Task A_priority_tie_is_an_error_never_a_silent_choice()
    {
        await using var farm = await StartAsync();
        var browser = await farm.LoginAsync();
        var bot = await farm.LoginAsync(provider: ProviderKind.BotPassword);
        await using (var db = farm.Db())
        {
            var enwiki = await db.Wikis.SingleAsync(w => w.DbName == "enwiki");
            db.ProviderSettings.Add(new ProviderSetting { WikiId = enwiki.Id, Provider = ProviderKind.BotPassword, Priority = 40, PersistsSessionId = true });
            await db.SaveChangesAsync();
        }
        farm.Services.GetService<FarmDirectory>()!.Reload();
        var both = TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org");
        foreach (var (name, value) in TestFarm.CookiesFor(bot.SetCookies, "en.wikipedia.org")) both[name] = value;

        var tie = await Assert.ThrowsAsync<SessionException>(() => farm.ResolveAsync("enwiki", both));

        Assert.Equal(Failure.Misconfigured, tie.Failure);
        Assert.Contains("cookie and botpassword", tie.Message);
        Assert.Contains("priority 40", tie.Message);
        // Only one provider recognises the plain browser request: no tie there.
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org"))).Session);
    }

    [Fact]
    public async Task A_metadata_conflict_rejects_the_session_and_records_both_versions()
    {
        // T124224: a request that mixes one user's session with another user's cookies is not a continuation.
        await using var farm = await StartAsync();
        var alice = await farm.LoginAsync();
        var bob = await farm.LoginAsync(TestFarm.Bob);
        var mixed = TestFarm.CookiesFor(alice.SetCookies, "en.wikipedia.org");
        mixed["enwikiUserID"] = TestFarm.CookiesFor(bob.SetCookies, "en.wikipedia.org")["enwikiUserID"];
        mixed["enwikiUserName"] = TestFarm.Bob;

        var rejected = await farm.ResolveAsync("enwiki", mixed);

        Assert.Null(rejected.Session);
        Assert.Contains("userId, userName", rejected.Reason);
        await using var db = farm.Db();
        var session = await db.Sessions.SingleAsync(s => s.IdHash == Secrets.Sha256(alice.Session.Id));
        Assert.Equal(EndReason.MetadataConflict, session.EndReason);
        var handle = session.Handle;
        var diff = Assert.Single(await farm.SessionQueries.MetadataDiffsAsync(handle));
        Assert.Equal(["userId", "userName"], diff.ConflictingKeys);
        Assert.Equal(TestFarm.Alice, diff.Saved["userName"]);
        Assert.Equal(TestFarm.Bob, diff.Provided["userName"]);
        // Bob's own session is untouched.
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(bob.SetCookies, "en.wikipedia.org"))).Session);
    }

    [Fact]
    public void Metadata_merge_keeps_saved_keys_adds_new_ones_and_reports_only_keys_that_differ()
    {
        var saved = new Dictionary<string, string> { ["userId"] = "7", ["central"] = "true" };
        var provided = new Dictionary<string, string> { ["userId"] = "7", ["appId"] = "bot" };

        Assert.Empty(Metadata.Conflicts(saved, provided));
        Assert.Equal(new Dictionary<string, string> { ["userId"] = "7", ["central"] = "true", ["appId"] = "bot" }, Metadata.Merge(saved, provided));
        Assert.Equal(["userId"], Metadata.Conflicts(saved, new Dictionary<string, string> { ["userId"] = "8" }));
    }

    [Fact]
    public async Task A_deleted_bot_password_ends_its_sessions_on_the_next_request()
    {
        await using var farm = await StartAsync();
        var bot = await farm.LoginAsync(provider: ProviderKind.BotPassword);
        await using (var db = farm.Db())
            await db.BotPasswords.Where(p => p.Id == db.Sessions.Single(s => s.IdHash == Secrets.Sha256(bot.Session.Id)).BotPasswordId)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.RevokedAt, TestFarm.Start));

        var next = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(bot.SetCookies, "en.wikipedia.org"));

        Assert.Null(next.Session);
        Assert.Contains("bot password or OAuth grant", next.Reason);
        await using var check = farm.Db();
        Assert.Equal(EndReason.GrantRevoked, (await check.Sessions.SingleAsync(s => s.IdHash == Secrets.Sha256(bot.Session.Id))).EndReason);
        await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(provider: ProviderKind.BotPassword));
    }

    [Fact]
    public async Task OAuth_sessions_are_derived_from_the_grant_and_end_when_it_is_revoked()
    {
        await using var farm = await StartAsync();
        var login = await farm.LoginAsync(provider: ProviderKind.OAuth);
        Assert.NotNull(login.Authorization);
        Assert.Null(login.CentralSessionId);
        Assert.Empty(login.SetCookies);

        var first = await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), authorization: login.Authorization);
        var again = await farm.LoginAsync(provider: ProviderKind.OAuth);
        Assert.Equal(login.Session.Id, first.Session?.Id);
        Assert.Equal(login.Session.Id, again.Session.Id);
        var forged = await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), authorization: login.Authorization![..^4] + "0000");
        Assert.Null(forged.Session);

        await using (var db = farm.Db())
            await db.OAuthGrants.ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, TestFarm.Start));
        var revoked = await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), authorization: login.Authorization);
        Assert.Null(revoked.Session);
        Assert.Contains("revoked", revoked.Reason);
    }
}
