using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests.Data;

/// <summary>
/// Moving a farm from its SQLite file to PostgreSQL (<c>copy-store</c>): on the server, what was valid in the file is
/// valid, what had ended stays ended, and the farm takes new logins and audit entries after the copied keys.
/// </summary>
public sealed class StoreCopyTests
{
    [Fact]
    public async Task A_copied_farm_keeps_what_was_valid_valid_and_what_ended_ended_and_takes_new_logins()
    {
        await using var file = await TestFarm.StartAsync();
        var alice = await file.LoginAsync(TestFarm.Alice, remember: true);
        var bob = await file.LoginAsync(TestFarm.Bob);
        await file.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(bob.SetCookies, "en.wikipedia.org"),
            TestFarm.CookiesFor(bob.SetCookies, TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));
        await file.Admin.LockUserAsync(TestFarm.Steward, TestFarm.Carol, "Looking into it");

        // The target as a first start on PostgreSQL leaves it: migrated and seeded.
        var cluster = await PostgresCluster.GetAsync();
        await using var server = await TestFarm.OnPostgreSqlAsync(await cluster.CopyAsync("copy"), file.Time.GetUtcNow());
        await using var source = file.Db();
        IReadOnlyList<CopiedTable> copied;
        await using (var target = server.Db())
            copied = await StoreCopy.CopyAsync(source, target);

        Assert.Equal(await source.Sessions.CountAsync(), copied.Single(t => t.Table == "Sessions").Rows);
        Assert.Equal(await source.Audit.CountAsync(), copied.Single(t => t.Table == "Audit").Rows);
        await using (var target = server.Db())
            Assert.Equal(await source.SessionCounts.SumAsync(c => c.OpenSessions), await target.SessionCounts.SumAsync(c => c.OpenSessions));

        var resolved = await server.ResolveAsync("enwiki", TestFarm.CookiesFor(alice.SetCookies, "en.wikipedia.org"));
        Assert.Equal(alice.Session.Id, resolved.Session?.Id);
        Assert.Null((await server.ResolveAsync("enwiki", TestFarm.CookiesFor(bob.SetCookies, "en.wikipedia.org"))).Session);
        Assert.Null((await server.ResolveAsync("dewiki", new Dictionary<string, string>(), TestFarm.CookiesFor(bob.SetCookies, TestFarm.CentralHost))).Session);
        var locked = await Assert.ThrowsAsync<SessionException>(() => server.LoginAsync(TestFarm.Carol));
        Assert.Contains("locked", locked.Message);

        // New rows take keys after the copied ones.
        var fresh = await server.LoginAsync(TestFarm.Bob);
        await server.Admin.UnlockUserAsync(TestFarm.Steward, TestFarm.Carol, "Cleared");
        Assert.NotNull((await server.ResolveAsync("enwiki", TestFarm.CookiesFor(fresh.SetCookies, "en.wikipedia.org"))).Session);
    }

    [Fact]
    public async Task A_copy_into_a_database_in_use_is_refused_and_changes_nothing()
    {
        await using var file = await TestFarm.StartAsync();
        await file.LoginAsync(TestFarm.Alice);
        var cluster = await PostgresCluster.GetAsync();
        await using var server = await TestFarm.OnPostgreSqlAsync(await cluster.CopyAsync("copy"), file.Time.GetUtcNow());
        var inUse = await server.LoginAsync(TestFarm.Bob);

        await using var source = file.Db();
        await using var target = server.Db();
        var refused = await Assert.ThrowsAsync<SessionException>(() => StoreCopy.CopyAsync(source, target));

        Assert.Equal(Failure.Conflict, refused.Failure);
        Assert.Contains("already holds 1 sessions", refused.Message);
        Assert.NotNull((await server.ResolveAsync("enwiki", TestFarm.CookiesFor(inUse.SetCookies, "en.wikipedia.org"))).Session);
        Assert.Equal(1, await target.Sessions.CountAsync());
    }
}
