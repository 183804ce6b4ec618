using Microsoft.EntityFrameworkCore;

namespace WikiSessions.Core.Tests.Races;

/// <summary>
/// A global logout racing the requests of the same browser, with real concurrent writers: PostgreSQL has no write
/// gate, so these races are not serialised away and the engine's own claims have to hold. After every round nothing
/// may be live on the ended central session: no session linked to it resolves, and none is active in the store.
/// </summary>
public sealed class GlobalLogoutRaceTests
{
    private const string En = "en.wikipedia.org";
    private const int Rounds = 25;
    private static readonly string[] Wikis = ["dewiki", "frwiki", "itwiki", "eswiki", "commonswiki", "wikidatawiki"];
    private static readonly Dictionary<string, string> NoCookies = [];

    [Fact]
    public async Task A_global_logout_racing_auto_logins_leaves_nothing_live_on_the_ended_central_session()
    {
        await using var farm = await TestFarm.StartAsync(store: StoreKind.PostgreSql);
        var leaks = new List<string>();
        var reported = new HashSet<long>();
        for (var round = 0; round < Rounds; round++)
        {
            var login = await farm.LoginAsync();
            var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var autoLogins = Wikis.Select(w => Task.Run(async () => { await go.Task; return (Wiki: w, Result: await farm.ResolveAsync(w, NoCookies, central)); })).ToList();
            var logout = Task.Run(async () => { await go.Task; await farm.Logouts.LogoutAsync(GlobalLogout(login, central)); });
            go.SetResult();
            await Task.WhenAll([.. autoLogins, logout]);

            foreach (var (wiki, result) in autoLogins.Select(t => t.Result).Where(r => r.Result.Session is not null))
            {
                var again = await farm.ResolveAsync(wiki, TestFarm.CookiesFor(result.SetCookies, result.SetCookies[0].Host));
                if (again.Session is not null) leaks.Add($"round {round}: the auto-login on {wiki} still resolves after the global logout");
            }
            leaks.AddRange(await LiveOnEndedCentralSessionsAsync(farm, round, reported));
        }
        Assert.True(leaks.Count == 0, $"{leaks.Count} leak(s) in {Rounds} rounds:\n{string.Join("\n", leaks)}");
    }

    [Fact]
    public async Task A_global_logout_racing_remember_me_restores_leaves_nothing_live_on_the_ended_central_session()
    {
        await using var farm = await TestFarm.StartAsync(store: StoreKind.PostgreSql);
        var leaks = new List<string>();
        var reported = new HashSet<long>();
        for (var round = 0; round < Rounds; round++)
        {
            var login = await farm.LoginAsync(remember: true);
            var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
            var remembered = TestFarm.CookiesFor(login.SetCookies, En).Where(c => c.Key is "enwikiUserID" or "enwikiToken").ToDictionary();
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // The browser's other tabs on enwiki come back with only the remember-me cookies, while it logs out.
            var restores = Enumerable.Range(0, 4).Select(_ => Task.Run(async () => { await go.Task; return await farm.ResolveAsync("enwiki", remembered, central); })).ToList();
            var autoLogins = Wikis[..2].Select(w => Task.Run(async () => { await go.Task; return await farm.ResolveAsync(w, NoCookies, central); })).ToList();
            var logout = Task.Run(async () => { await go.Task; await farm.Logouts.LogoutAsync(GlobalLogout(login, central)); });
            go.SetResult();
            await Task.WhenAll([.. restores, .. autoLogins, logout]);

            foreach (var restored in restores.Select(t => t.Result).Where(r => r.Session is not null))
            {
                var again = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(restored.SetCookies, En));
                if (again.Session is not null) leaks.Add($"round {round}: a remember-me restore on enwiki still resolves after the global logout");
            }
            if ((await farm.ResolveAsync("enwiki", remembered)).Session is not null)
                leaks.Add($"round {round}: the remember-me token still restores a session after the global logout");
            leaks.AddRange(await LiveOnEndedCentralSessionsAsync(farm, round, reported));
        }
        Assert.True(leaks.Count == 0, $"{leaks.Count} leak(s) in {Rounds} rounds:\n{string.Join("\n", leaks)}");
    }

    private static LogoutRequest GlobalLogout(LoginResult login, Dictionary<string, string> central) =>
        new("enwiki", TestFarm.CookiesFor(login.SetCookies, En), central, LogoutScope.Global, TestFarm.Browser);

    /// <summary>Each session the store holds as active while its central session is ended, described once for the report.</summary>
    private static async Task<IEnumerable<string>> LiveOnEndedCentralSessionsAsync(TestFarm farm, int round, HashSet<long> reported)
    {
        await using var db = farm.Db();
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
        var live = await Validity.Active(db, db.Sessions.Where(s => s.CentralSession!.EndedAt != null), epoch, farm.Time.GetUtcNow())
            .Select(s => new { s.Id, Wiki = s.Wiki!.DbName, s.Origin, s.CentralSessionId }).ToListAsync();
        return live.Where(s => reported.Add(s.Id)).Select(s => $"round {round}: session {s.Id} ({s.Origin} on {s.Wiki}) is active on ended central session {s.CentralSessionId}");
    }
}
