using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Tests.Admin;

/// <summary>A compromised account, secured in one action.</summary>
public sealed class SecureAccountTests
{
    [Fact]
    public async Task Securing_an_account_ends_everything_revokes_what_is_ticked_and_says_what_survives()
    {
        await using var farm = await TestFarm.StartAsync();
        var browser = await farm.LoginAsync(remember: true);
        var bot = await farm.LoginAsync(wiki: "commonswiki", provider: ProviderKind.BotPassword);
        var tool = await farm.LoginAsync(wiki: "wikidatawiki", provider: ProviderKind.OAuth);
        var preview = await farm.Admin.PreviewSecureAccountAsync(TestFarm.Alice);
        Assert.Equal((3, 1, 1), (preview.ActiveSessions, preview.CentralSessions, preview.RememberTokens));
        Assert.Equal(["sandboxbot"], preview.BotPasswords);
        Assert.Equal(["SandboxTool"], preview.OAuthGrants);

        // The steward unticks the OAuth grant: the tool's authorization ends with the user token, the grant survives.
        var done = await farm.Admin.SecureAccountAsync(TestFarm.Steward, TestFarm.Alice, new SecureAccountRequest("Password found in a paste", OAuthGrants: []));

        Assert.True(done.Check.Passed, done.Check.Summary);
        Assert.Equal((3, 1, 1), (done.SessionsEnded, done.CentralSessionsEnded, done.RememberTokensEnded));
        Assert.Equal(["sandboxbot"], done.BotPasswordsRevoked);
        Assert.Empty(done.OAuthGrantsRevoked);
        Assert.Null((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org"), TestFarm.CookiesFor(browser.SetCookies, TestFarm.CentralHost))).Session);
        Assert.Null((await farm.ResolveAsync("commonswiki", TestFarm.CookiesFor(bot.SetCookies, "commons.wikimedia.org"))).Session);
        Assert.Null((await farm.ResolveAsync("wikidatawiki", new Dictionary<string, string>(), authorization: tool.Authorization)).Session);
        Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(provider: ProviderKind.BotPassword))).Failure);
        Assert.NotNull(await farm.LoginAsync(provider: ProviderKind.OAuth));
        Assert.Contains("OAuth grant of SandboxTool was left unticked: a new OAuth login of the tool works.", done.Survives);
        Assert.Contains("password is not kept here", done.Survives);
        Assert.DoesNotContain("Bot password", done.Survives);

        var audit = Assert.Single((await farm.FarmQueries.AuditAsync()).Items);
        Assert.Equal((AdminService.SecureAccountAction, TestFarm.Alice, "Password found in a paste", 3), (audit.Action, audit.Target, audit.Reason, audit.SessionsEnded));
        Assert.Contains("bot passwords revoked: sandboxbot; OAuth grants revoked: none; not prevented", audit.Detail);
        Assert.Contains("Survives: OAuth grant of SandboxTool", audit.Detail);
    }

    [Fact]
    public async Task Securing_with_prevent_revokes_every_credential_and_leaves_nothing_to_name()
    {
        await using var farm = await TestFarm.StartAsync();
        await farm.LoginAsync(TestFarm.Bob);

        var done = await farm.Admin.SecureAccountAsync(TestFarm.Steward, TestFarm.Bob, new SecureAccountRequest("Account sold", Prevent: true));

        Assert.True(done.Check.Passed, done.Check.Summary);
        Assert.True(done.Prevented);
        Assert.Null(done.Survives);
        var user = await farm.UserQueries.UserAsync(TestFarm.Bob);
        Assert.True(user.Prevented);
        Assert.All(user.BotPasswords, p => Assert.NotNull(p.RevokedAt));
        Assert.All(user.OAuthGrants, g => Assert.NotNull(g.RevokedAt));
        Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(TestFarm.Bob))).Failure);
    }

    [Fact]
    public async Task The_users_token_is_reset_on_every_wiki_with_a_command_and_the_one_audit_entry_says_so()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"secure-{Guid.NewGuid():N}");
        await using var farm = await TestFarm.StartAsync(configuration: new()
        {
            ["MediaWiki:Wikis:testwiki:ResetTokenCommand"] = $"/usr/bin/touch {marker}-{{user}}",
            ["MediaWiki:Wikis:test2wiki:ResetTokenCommand"] = "/bin/false {user}",
        });

        // Carol has no session here at all: a wiki's own Token cookie is reset anyway.
        var done = await farm.Admin.SecureAccountAsync(TestFarm.Steward, TestFarm.Carol, new SecureAccountRequest("Phished"));

        Assert.True(File.Exists($"{marker}-{TestFarm.Carol}"));
        File.Delete($"{marker}-{TestFarm.Carol}");
        Assert.Equal([("test2wiki", false), ("testwiki", true)], done.TokenResets.Select(r => (r.Wiki, r.Succeeded)));
        Assert.Contains("MediaWiki on test2wiki can restore Sandbox Carol from a remember-me Token cookie", done.Survives);
        var audit = Assert.Single((await farm.FarmQueries.AuditAsync()).Items);
        Assert.Equal(done.AuditId, audit.Id);
        Assert.Contains("token of Sandbox Carol reset on testwiki", audit.Detail);
        Assert.Contains("token reset on test2wiki failed (exit 1)", audit.Detail);
    }

    [Fact]
    public async Task A_ticked_bot_password_that_still_logs_in_after_the_action_fails_its_check()
    {
        await using var farm = await TestFarm.StartAsync();
        // Brings the bot password back right after the action commits, as a concurrent restore of the store could.
        using var hook = farm.Feed.Subscribe(n =>
        {
            if (n.Kind != SessionEventKind.AdminAction) return;
            using var db = farm.Db();
            db.BotPasswords.Where(p => p.AppId == "sandboxbot" && db.Users.Any(u => u.Id == p.UserId && u.Name == TestFarm.Alice)).ExecuteUpdate(u => u.SetProperty(p => p.RevokedAt, (DateTimeOffset?)null));
        });

        var done = await farm.Admin.SecureAccountAsync(TestFarm.Steward, TestFarm.Alice, new SecureAccountRequest("Password found in a paste"));

        Assert.False(done.Check.Passed);
        Assert.Contains("bot passwords sandboxbot were ticked but still log in", done.Check.Summary);
        var audit = (await farm.FarmQueries.AuditAsync()).Items;
        Assert.Contains(audit, a => a.Action == "check-failed" && a.Detail!.StartsWith("After secure-account: Check failed", StringComparison.Ordinal));
        Assert.Equal(2, audit.Count);
        Assert.Contains(farm.Logs.Messages, m => m.Contains("The check after secure-account", StringComparison.Ordinal));
    }

    public static TheoryData<string, string, string[]?, string[]?, bool, Failure> Refusals => new()
    {
        { "steward", "Stolen", ["no-such-bot"], null, false, Failure.NotFound },
        { "steward", "Stolen", null, ["NoSuchTool"], false, Failure.NotFound },
        { "steward", "  ", null, null, false, Failure.Invalid },
        { "support", "Stolen", null, null, false, Failure.Forbidden },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_request_changes_nothing(string role, string reason, string[]? bots, string[]? grants, bool prevent, Failure failure)
    {
        await using var farm = await TestFarm.StartAsync();
        await farm.LoginAsync();
        var actor = new StaffActor(role, Enum.Parse<StaffRole>(role, ignoreCase: true));

        var refused = await Assert.ThrowsAsync<SessionException>(() =>
            farm.Admin.SecureAccountAsync(actor, TestFarm.Alice, new SecureAccountRequest(reason, bots, grants, prevent)));

        Assert.Equal(failure, refused.Failure);
        var user = await farm.UserQueries.UserAsync(TestFarm.Alice);
        Assert.Single(user.ActiveSessions);
        Assert.All(user.BotPasswords, p => Assert.Null(p.RevokedAt));
        Assert.All(user.OAuthGrants, g => Assert.Null(g.RevokedAt));
        Assert.Empty((await farm.FarmQueries.AuditAsync()).Items);
    }

    [Fact]
    public async Task Preventing_a_prevented_user_again_is_a_conflict_and_changes_nothing()
    {
        await using var farm = await TestFarm.StartAsync();
        await farm.Admin.PreventUserAsync(TestFarm.Steward, TestFarm.Bob, "Vandalism");

        var refused = await Assert.ThrowsAsync<SessionException>(() =>
            farm.Admin.SecureAccountAsync(TestFarm.Steward, TestFarm.Bob, new SecureAccountRequest("Again", Prevent: true)));

        Assert.Equal(Failure.Conflict, refused.Failure);
        Assert.Single((await farm.FarmQueries.AuditAsync()).Items);
    }
}
