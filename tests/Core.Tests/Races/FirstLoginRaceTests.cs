using Microsoft.EntityFrameworkCore;

namespace WikiSessions.Core.Tests.Races;

/// <summary>
/// The first logins of a user on a wiki, all at once, with real concurrent writers (PostgreSQL, no write gate): each
/// attaches the user to the wiki, and every one of them must still log in. Found by the HTTP benchmark on PostgreSQL,
/// where the losers of the race were answered with a duplicate key instead of a session.
/// </summary>
public sealed class FirstLoginRaceTests
{
    private const int Rounds = 10, Logins = 6;

    [Fact]
    public async Task Concurrent_first_logins_of_a_user_on_a_wiki_all_log_in_and_attach_the_user_once()
    {
        await using var farm = await TestFarm.StartAsync(store: StoreKind.PostgreSql);
        List<(string User, string Wiki, int UserId, int WikiId)> pairs;
        await using (var db = farm.Db())
            pairs = await (from u in db.Users
                           from w in db.Wikis
                           where w.Status == WikiStatus.Open && !u.Prevented && !db.Attachments.Any(a => a.UserId == u.Id && a.WikiId == w.Id)
                           orderby u.Id, w.Id
                           select new { u.Name, w.DbName, UserId = u.Id, WikiId = w.Id })
                .Take(Rounds).AsAsyncEnumerable().Select(p => (p.Name, p.DbName, p.UserId, p.WikiId)).ToListAsync();
        Assert.Equal(Rounds, pairs.Count);

        var failures = new List<string>();
        foreach (var (user, wiki, _, _) in pairs)
        {
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var logins = Enumerable.Range(0, Logins).Select(_ => Task.Run(async () => { await go.Task; return await farm.LoginAsync(user, wiki); })).ToList();
            go.SetResult();
            foreach (var login in logins)
            {
                try { await login; }
                catch (Exception ex) { failures.Add($"{user} on {wiki}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}"); }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Rounds * Logins} logins failed:\n{string.Join("\n", failures)}");
        await using var check = farm.Db();
        foreach (var (user, wiki, userId, wikiId) in pairs)
            Assert.Equal(1, await check.Attachments.CountAsync(a => a.UserId == userId && a.WikiId == wikiId));
    }

    [Fact]
    public async Task Concurrent_first_MediaWiki_saves_of_a_new_account_all_land_and_make_one_global_user()
    {
        await using var farm = await TestFarm.StartAsync(store: StoreKind.PostgreSql);
        var (store, wiki) = await MediaWiki.KaskBodies.StoreAsync(farm);
        var failures = new List<string>();
        for (var round = 0; round < Rounds; round++)
        {
            var name = $"New Account {round}";
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var saves = Enumerable.Range(0, Logins).Select(i => Task.Run(async () =>
            {
                await go.Task;
                var key = await store.KeyAsync(wiki, $"testwiki:MWSession:race{round}x{i}", default);
                return await store.PutAsync(key, MediaWiki.KaskBodies.Session(name, farm.Time.GetUtcNow().AddHours(1)), default);
            })).ToList();
            go.SetResult();
            foreach (var save in saves)
            {
                try { await save; }
                catch (Exception ex) { failures.Add($"{name}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}"); }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {Rounds * Logins} saves failed:\n{string.Join("\n", failures)}");
        await using var check = farm.Db();
        Assert.Equal(Rounds, await check.Users.CountAsync(u => u.Name.StartsWith("New Account ")));
    }
}
