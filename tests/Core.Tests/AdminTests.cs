using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore.Storage;
using WikiSessions.Core.Admin;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests;

public sealed class AdminTests
{
    /// <summary>A session revoked alone, and a hook that runs right after the revoke commits and before its check.</summary>
    private static async Task<(string Handle, Session Row, IDisposable Hook)> SessionToRevokeAsync(TestFarm farm, Action<Session> afterCommit)
    {
        var login = await farm.LoginAsync(TestFarm.Carol);
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"))).Session);
        await using var db = farm.Db();
        var row = await db.Sessions.AsNoTracking().SingleAsync(s => s.IdHash == Core.Sessions.Secrets.Sha256(login.Session.Id));
        return (row.Handle, row, farm.Feed.Subscribe(n => { if (n.Kind == SessionEventKind.AdminAction) afterCommit(row); }));
    }

    [Fact]
    public async Task A_restore_racing_a_revoke_fails_its_check_and_the_answer_and_the_audit_say_so()
    {
        await using var farm = await TestFarm.StartAsync();
        // Brings the session back in the store, as a restore racing the action on a server database could.
        var (handle, _, hook) = await SessionToRevokeAsync(farm, row =>
        {
            using var db = farm.Db();
            db.Sessions.Where(s => s.Id == row.Id).ExecuteUpdate(u => u.SetProperty(s => s.EndedAt, (DateTimeOffset?)null).SetProperty(s => s.EndReason, (EndReason?)null));
        });

        var result = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, "Session hijacked", RevokeScope.Session);

        Assert.False(result.Check.Passed);
        Assert.Equal((1, 0), (result.Check.Sessions, result.Check.CachedSessions));
        Assert.StartsWith("Check failed: 1 sessions", result.Check.Summary);
        var audit = (await farm.FarmQueries.AuditAsync()).Items;
        Assert.Contains(audit, a => a.Action == "check-failed" && a.Detail!.Contains("After revoke-session"));
        Assert.Contains(farm.Logs.Messages, m => m.Contains("The check after revoke-session", StringComparison.Ordinal));
        hook.Dispose();
    }

    [Fact]
    public async Task A_copy_left_in_memory_after_a_revoke_fails_its_check()
    {
        await using var farm = await TestFarm.StartAsync();
        var cache = farm.Services.GetRequiredService<SessionCache>();
        SessionCache.CachedSession? stale = null;
        // Puts the copy read before the revoke back, as a path that ended the session without evicting it would leave it.
        var (handle, row, hook) = await SessionToRevokeAsync(farm, _ => cache.Put(cache.Changes, stale!.Session, stale.Saved));
        stale = cache.Session(row.WikiId, row.IdHash);
        Assert.NotNull(stale);

        var result = await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, "Session hijacked", RevokeScope.Session);

        Assert.False(result.Check.Passed);
        Assert.Equal((0, 1), (result.Check.Sessions, result.Check.CachedSessions));
        Assert.Contains(" 1 sessions are still answered from memory", result.Check.Summary);
        hook.Dispose();
    }

    [Fact]
    public async Task Invalidating_a_user_ends_their_sessions_on_every_wiki_and_provider()
    {
        await using var farm = await TestFarm.StartAsync();
        var browser = await farm.LoginAsync();
        var central = TestFarm.CookiesFor(browser.SetCookies, TestFarm.CentralHost);
        var de = await farm.ResolveAsync("dewiki", new Dictionary<string, string>(), central);
        var bot = await farm.LoginAsync(wiki: "commonswiki", provider: ProviderKind.BotPassword);
        var tool = await farm.LoginAsync(wiki: "wikidatawiki", provider: ProviderKind.OAuth);
        var bob = await farm.LoginAsync(TestFarm.Bob);

        var ended = await farm.Admin.InvalidateUserAsync(TestFarm.Steward, TestFarm.Alice, "Password leaked on IRC");

        Assert.Equal(4, ended.SessionsEnded);
        Assert.True(ended.Check.Passed, ended.Check.Summary);
        Assert.Null((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org"), central)).Session);
        Assert.Null((await farm.ResolveAsync("dewiki", TestFarm.CookiesFor(de.SetCookies, "de.wikipedia.org"), central)).Session);
        Assert.Null((await farm.ResolveAsync("commonswiki", TestFarm.CookiesFor(bot.SetCookies, "commons.wikimedia.org"))).Session);
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(bob.SetCookies, "en.wikipedia.org"))).Session);
        // The OAuth grant survives a token reset, but the authorization issued before it does not: the tool logs in again.
        Assert.Null((await farm.ResolveAsync("wikidatawiki", new Dictionary<string, string>(), authorization: tool.Authorization)).Session);
        var toolAgain = await farm.LoginAsync(wiki: "wikidatawiki", provider: ProviderKind.OAuth);
        Assert.NotNull((await farm.ResolveAsync("wikidatawiki", new Dictionary<string, string>(), authorization: toolAgain.Authorization)).Session);
        await using var db = farm.Db();
        Assert.Equal(4, await db.Sessions.CountAsync(s => s.EndReason == EndReason.UserInvalidated && s.EndedBy == "steward"));
        var audit = Assert.Single((await farm.FarmQueries.AuditAsync()).Items);
        Assert.Equal(("steward", "invalidate-user", TestFarm.Alice, "Password leaked on IRC", 4), (audit.Actor, audit.Action, audit.Target, audit.Reason, audit.SessionsEnded));
    }

    [Fact]
    public async Task A_prevented_user_cannot_get_a_session_through_any_provider()
    {
        await using var farm = await TestFarm.StartAsync();
        var tool = await farm.LoginAsync(provider: ProviderKind.OAuth);
        var browser = await farm.LoginAsync(remember: true);

        await farm.Admin.PreventUserAsync(TestFarm.Steward, TestFarm.Alice, "Compromised account used for vandalism");

        foreach (var provider in Enum.GetValues<ProviderKind>())
        {
            var refused = await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(provider: provider));
            Assert.Equal(Failure.Forbidden, refused.Failure);
        }
        Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), authorization: tool.Authorization)).Session);
        var rememberOnly = TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org");
        rememberOnly.Remove("enwiki_session");
        Assert.Null((await farm.ResolveAsync("enwiki", rememberOnly)).Session);
        var detail = await farm.UserQueries.UserAsync(TestFarm.Alice);
        Assert.True(detail.Prevented);
        Assert.Equal(3, detail.RefusedLogins.Count);
        Assert.All(detail.RefusedLogins, r => Assert.Contains("prevented", r.Detail));
        Assert.All(detail.BotPasswords, p => Assert.NotNull(p.RevokedAt));
        Assert.All(detail.OAuthGrants, g => Assert.NotNull(g.RevokedAt));
        Assert.Empty(detail.ActiveSessions);
        var again = await Assert.ThrowsAsync<SessionException>(() => farm.Admin.PreventUserAsync(TestFarm.Steward, TestFarm.Alice, "again"));
        Assert.Equal(Failure.Conflict, again.Failure);
    }

    [Fact]
    public async Task A_locked_user_gets_no_session_through_any_provider_and_after_an_unlock_only_a_new_login_works()
    {
        await using var farm = await TestFarm.StartAsync();
        var tool = await farm.LoginAsync(provider: ProviderKind.OAuth);
        var browser = await farm.LoginAsync(remember: true);

        var locked = await farm.Admin.LockUserAsync(TestFarm.Steward, TestFarm.Alice, "Suspicious edits while we look into it");

        Assert.True(locked.Check.Passed);
        Assert.Contains("bot passwords and OAuth grants are kept", locked.Detail);
        foreach (var provider in Enum.GetValues<ProviderKind>())
            Assert.Contains("is locked", (await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(provider: provider))).Message);
        Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), authorization: tool.Authorization)).Session);
        var detail = await farm.UserQueries.UserAsync(TestFarm.Alice);
        Assert.NotNull(detail.LockedAt);
        Assert.All(detail.BotPasswords, p => Assert.Null(p.RevokedAt));
        Assert.All(detail.OAuthGrants, g => Assert.Null(g.RevokedAt));
        Assert.NotEmpty(detail.BotPasswords);
        Assert.NotEmpty(detail.OAuthGrants);
        await using (var db = farm.Db())
            Assert.All(await db.Sessions.ToListAsync(), s => Assert.Equal(EndReason.Locked, s.EndReason));
        Assert.Equal(Failure.Conflict, (await Assert.ThrowsAsync<SessionException>(() => farm.Admin.LockUserAsync(TestFarm.Steward, TestFarm.Alice, "again"))).Failure);

        await farm.Admin.UnlockUserAsync(TestFarm.Steward, TestFarm.Alice, "Cleared");

        // Nothing the lock ended comes back: not the session cookie, not the remember-me token, not the tool's authorization.
        Assert.Null((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org"))).Session);
        Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), authorization: tool.Authorization)).Session);
        Assert.NotNull((await farm.LoginAsync()).SetCookies);
        Assert.NotNull((await farm.LoginAsync(provider: ProviderKind.BotPassword)).SetCookies);
        Assert.Null((await farm.UserQueries.UserAsync(TestFarm.Alice)).LockedAt);
        Assert.Equal(["unlock-user", "lock-user"], (await farm.FarmQueries.AuditAsync()).Items.Select(a => a.Action));
    }

    [Fact]
    public async Task A_prevent_cannot_be_unlocked_and_a_lock_can_be_made_permanent_by_a_prevent()
    {
        await using var farm = await TestFarm.StartAsync();
        await farm.LoginAsync(TestFarm.Bob);
        await farm.Admin.PreventUserAsync(TestFarm.Steward, TestFarm.Bob, "Vandalism");
        var refused = await Assert.ThrowsAsync<SessionException>(() => farm.Admin.UnlockUserAsync(TestFarm.Steward, TestFarm.Bob, "Try"));
        Assert.Equal(Failure.Conflict, refused.Failure);
        Assert.Contains("cannot be undone", refused.Message);

        await farm.LoginAsync();
        await farm.Admin.LockUserAsync(TestFarm.Steward, TestFarm.Alice, "Looking into it");
        await farm.Admin.PreventUserAsync(TestFarm.Steward, TestFarm.Alice, "Confirmed");
        var alice = await farm.UserQueries.UserAsync(TestFarm.Alice);
        Assert.Equal((true, null), (alice.Prevented, alice.LockedAt));
        Assert.NotEmpty(alice.BotPasswords);
        Assert.All(alice.BotPasswords, p => Assert.NotNull(p.RevokedAt));
        Assert.Equal(Failure.Conflict, (await Assert.ThrowsAsync<SessionException>(() => farm.Admin.UnlockUserAsync(TestFarm.Steward, TestFarm.Alice, "Try"))).Failure);
    }

    [Fact]
    public async Task Invalidating_everyone_ends_every_session_and_central_session()
    {
        await using var farm = await TestFarm.StartAsync();
        var alice = await farm.LoginAsync();
        var bob = await farm.LoginAsync(TestFarm.Bob, wiki: "dewiki");

        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Session cookies leaked by a caching proxy");

        Assert.Null((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(alice.SetCookies, "en.wikipedia.org"))).Session);
        var bobAfter = await farm.ResolveAsync("dewiki", TestFarm.CookiesFor(bob.SetCookies, "de.wikipedia.org"), TestFarm.CookiesFor(bob.SetCookies, TestFarm.CentralHost));
        Assert.Null(bobAfter.Session);
        Assert.False(bobAfter.AutoLogin);
        Assert.Contains("incident", bobAfter.Reason);
        Assert.All(await farm.FarmQueries.WikisAsync(), w => Assert.Equal(0, w.ActiveSessions));
        // New logins work straight away.
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor((await farm.LoginAsync()).SetCookies, "en.wikipedia.org"))).Session);
    }

    [Fact]
    public async Task Invalidating_everyone_runs_the_same_statements_for_a_thousand_and_a_hundred_thousand_sessions()
    {
        await using var farm = await TestFarm.StartAsync();
        var measured = new List<(int Reads, int Writes)>();
        foreach (var (offset, count) in new[] { (0, 1_000), (1_000, 99_000) })
        {
            farm.Time.Advance(TimeSpan.FromSeconds(1));
            await InsertSessionsAsync(farm, offset, count);
            Assert.Equal(count, (await farm.FarmQueries.FarmBlastRadiusAsync()).ActiveSessions);
            farm.Commands.Reset();

            await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Incident T124440");

            measured.Add((farm.Commands.Reads, farm.Commands.Writes));
            Assert.Equal(0, (await farm.FarmQueries.FarmBlastRadiusAsync()).ActiveSessions);
        }

        Assert.Equal(measured[0], measured[1]);
        // The farm row, when the new epoch began, the audit entry and its event: nothing per session.
        Assert.InRange(measured[1].Writes, 1, 4);
    }

    [Fact]
    public async Task Only_stewards_with_a_reason_may_act_and_a_refused_action_changes_nothing()
    {
        await using var farm = await TestFarm.StartAsync();
        var login = await farm.LoginAsync();

        var developer = await Assert.ThrowsAsync<SessionException>(() =>
            farm.Admin.InvalidateUserAsync(new StaffActor("dev", StaffRole.Developer), TestFarm.Alice, "curious"));
        var noReason = await Assert.ThrowsAsync<SessionException>(() => farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "   "));
        var unknown = await Assert.ThrowsAsync<SessionException>(() => farm.Admin.RevokeSessionAsync(TestFarm.Steward, "0000000000000000", "gone"));

        Assert.Equal(Failure.Forbidden, developer.Failure);
        Assert.Equal(Failure.Invalid, noReason.Failure);
        Assert.Equal(Failure.NotFound, unknown.Failure);
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"))).Session);
        Assert.Empty((await farm.FarmQueries.AuditAsync()).Items);
    }

    [Fact]
    public async Task Revoking_a_session_ends_only_that_session_and_records_who_and_why()
    {
        await using var farm = await TestFarm.StartAsync();
        var login = await farm.LoginAsync();
        var other = await farm.LoginAsync(wiki: "dewiki");
        var handle = (await farm.UserQueries.UserAsync(TestFarm.Alice)).ActiveSessions.Single(s => s.Wiki == "enwiki").Handle;
        var notices = new List<SessionNotice>();
        using var _ = farm.Feed.Subscribe(notices.Add);

        await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, "User asked on VRT ticket 2026112310000123");

        Assert.Null((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"))).Session);
        Assert.NotNull((await farm.ResolveAsync("dewiki", TestFarm.CookiesFor(other.SetCookies, "de.wikipedia.org"))).Session);
        var history = await farm.UserQueries.HistoryAsync(TestFarm.Alice);
        var revoked = history.Items.Single(s => s.Handle == handle);
        Assert.Equal((EndReason.Revoked, "steward"), (revoked.EndReason, revoked.EndedBy));
        Assert.Contains(notices, n => n.Kind == SessionEventKind.AdminAction && n.SessionHandle == handle);
        Assert.Equal(Failure.Conflict, (await Assert.ThrowsAsync<SessionException>(() => farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, "twice"))).Failure);
    }

    [Fact]
    public async Task The_audit_log_cannot_be_edited_or_deleted()
    {
        await using var farm = await TestFarm.StartAsync();
        await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Drill");
        await using var db = farm.Db();
        var entry = await db.Audit.SingleAsync();

        entry.Reason = "nothing happened";
        Assert.Throws<InvalidOperationException>(() => db.SaveChanges());
        db.ChangeTracker.Clear();
        db.Audit.Remove(await db.Audit.SingleAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        await Assert.ThrowsAsync<SqliteException>(() => db.Audit.ExecuteDeleteAsync());
    }

    internal static Task InsertSessionsAsync(TestFarm farm, int offset, int count) =>
        SeededStore.InsertSessionsAsync(farm.StorePath, offset, count, farm.Time.GetUtcNow());
}
