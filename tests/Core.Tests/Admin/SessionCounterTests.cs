using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;

namespace WikiSessions.Core.Tests.Admin;

/// <summary>
/// The per-wiki counters the store's triggers keep (what the farm overview and invalidate-everyone read) equal a real
/// count of the open sessions after any mix of logins, anonymous visits, revokes, logouts, invalidations, sweeps and
/// deletes: no code path that starts or ends a session can leave them behind.
/// </summary>
public abstract class SessionCounterTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : SessionCounterTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : SessionCounterTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : SessionCounterTests(StoreKind.SqlServer);

    private abstract record Op;
    private sealed record Login(int User, string Wiki, ProviderKind Provider, bool Remember) : Op;
    private sealed record Anonymous(string Wiki) : Op;
    private sealed record Logout(int Pick, bool Global) : Op;
    private sealed record Revoke(int Pick, bool Browser) : Op;
    private sealed record InvalidateUser(int User) : Op;
    private sealed record InvalidateEveryone : Op;
    private sealed record Prevent(int User) : Op;
    private sealed record WaitAndSweep(TimeSpan For) : Op;
    private sealed record Delete(int Pick) : Op;

    private static Gen<T> OneOf<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(i => values[i]);

    private static readonly string[] Users = [TestFarm.Alice, TestFarm.Bob, TestFarm.Carol];
    private static readonly Gen<string> AnyWiki = OneOf("enwiki", "dewiki", "frwiki", "commonswiki");
    private static readonly Gen<int> AnyUser = Gen.Int[0, Users.Length - 1];
    private static readonly Gen<int> AnyPick = Gen.Int[0, 20];

    private static readonly Gen<Op> AnyOp = Gen.Frequency(
        (8, Gen.Select(AnyUser, AnyWiki, OneOf(ProviderKind.Cookie, ProviderKind.Cookie, ProviderKind.BotPassword, ProviderKind.OAuth), Gen.Bool,
            (u, w, p, r) => (Op)new Login(u, w, p, r))),
        (3, AnyWiki.Select(w => (Op)new Anonymous(w))),
        (3, Gen.Select(AnyPick, Gen.Bool, (p, g) => (Op)new Logout(p, g))),
        (2, Gen.Select(AnyPick, Gen.Bool, (p, b) => (Op)new Revoke(p, b))),
        (1, AnyUser.Select(u => (Op)new InvalidateUser(u))),
        (1, Gen.Const((Op)new InvalidateEveryone())),
        (1, AnyUser.Select(u => (Op)new Prevent(u))),
        (2, OneOf(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(45), TimeSpan.FromDays(40)).Select(t => (Op)new WaitAndSweep(t))),
        (1, AnyPick.Select(p => (Op)new Delete(p))));

    [Fact]
    public async Task Counters_equal_a_count_of_the_open_sessions_after_any_mix_of_actions()
    {
        await AnyOp.Array[5, 25].SampleAsync(RunAsync, iter: 40, print: ops => string.Join("\n", ops.Select((op, i) => $"{i + 1,3}. {op}")));
    }

    [Fact]
    public async Task The_overview_and_the_blast_radius_read_the_counters_of_the_current_epoch()
    {
        await using var farm = await StartAsync();
        await farm.LoginAsync(TestFarm.Alice, "enwiki");
        await farm.LoginAsync(TestFarm.Bob, "enwiki", ProviderKind.BotPassword);
        await farm.LoginAsync(TestFarm.Carol, "dewiki");

        var wikis = (await farm.FarmQueries.WikisAsync()).ToDictionary(w => w.Wiki);
        Assert.Equal(2, wikis["enwiki"].ActiveSessions);
        Assert.Equal(1, wikis["enwiki"].ByProvider[ProviderKind.BotPassword]);
        Assert.Equal(1, wikis["dewiki"].ActiveSessions);
        Assert.Equal(new BlastRadius(3, 2, 2, 0, 0), await farm.FarmQueries.FarmBlastRadiusAsync());

        var result = await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "Leaked cookies");
        Assert.Equal(3, result.SessionsEnded);
        Assert.Contains("open sessions in the current epoch", result.Detail);
        Assert.True(result.Check.Passed);
        Assert.All(await farm.FarmQueries.WikisAsync(), w => Assert.Equal(0, w.ActiveSessions));
    }

    private async Task RunAsync(Op[] ops)
    {
        await using var farm = await StartAsync();
        var logins = new List<(LoginResult Login, string Wiki)>();
        foreach (var op in ops)
        {
            farm.Time.Advance(TimeSpan.FromSeconds(1));
            try
            {
                await StepAsync(farm, op, logins);
            }
            catch (SessionException)
            {
                // Refused or nothing to do (a prevented user's login, a revoke of an ended session): the counters must still hold.
            }
        }
        await using var db = farm.Db();
        var counted = await db.Sessions.Where(s => s.EndedAt == null)
            .GroupBy(s => new { s.WikiId, s.Epoch, s.Provider, Anonymous = s.UserId == null })
            .Select(g => new { g.Key.WikiId, g.Key.Epoch, g.Key.Provider, g.Key.Anonymous, Count = (long)g.Count() })
            .ToListAsync();
        // A count is the sum of its slots' rows (PostgreSQL spreads writers over them).
        var kept = await db.SessionCounts.GroupBy(c => new { c.WikiId, c.Epoch, c.Provider, c.Anonymous })
            .Select(g => new { g.Key.WikiId, g.Key.Epoch, g.Key.Provider, g.Key.Anonymous, OpenSessions = g.Sum(c => c.OpenSessions) })
            .Where(c => c.OpenSessions != 0).ToListAsync();
        Assert.Equal(
            counted.Select(c => $"{c.WikiId}/{c.Epoch}/{c.Provider}/{c.Anonymous}: {c.Count}").Order(),
            kept.Select(c => $"{c.WikiId}/{c.Epoch}/{c.Provider}/{c.Anonymous}: {c.OpenSessions}").Order());
    }

    private static async Task StepAsync(TestFarm farm, Op op, List<(LoginResult Login, string Wiki)> logins)
    {
        (LoginResult Login, string Wiki)? Pick(int pick) => logins.Count == 0 ? null : logins[pick % logins.Count];
        switch (op)
        {
            case Login o:
                logins.Add((await farm.LoginAsync(Users[o.User], o.Wiki, o.Provider, o.Remember), o.Wiki));
                break;
            case Anonymous o:
            {
                await using var db = farm.Db();
                var wiki = await db.Wikis.SingleAsync(w => w.DbName == o.Wiki);
                var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
                var id = Secrets.NewSessionId();
                db.Sessions.Add(new Session
                {
                    IdHash = Secrets.Sha256(id), Handle = id[..16], WikiId = wiki.Id, Provider = ProviderKind.Cookie, Origin = SessionOrigin.MediaWiki,
                    CreatedAt = farm.Time.GetUtcNow(), LastActivityAt = farm.Time.GetUtcNow(), ExpiresAt = farm.Time.GetUtcNow().AddMinutes(30), Epoch = epoch,
                });
                await db.SaveChangesAsync();
                break;
            }
            case Logout o when Pick(o.Pick) is { } picked:
            {
                var host = (await farm.Services.GetRequiredService<FarmDirectory>().FindAsync(picked.Wiki, default))!.Host;
                await farm.Logouts.LogoutAsync(new LogoutRequest(picked.Wiki, TestFarm.CookiesFor(picked.Login.SetCookies, host),
                    TestFarm.CookiesFor(picked.Login.SetCookies, TestFarm.CentralHost), o.Global ? LogoutScope.Global : LogoutScope.Local, TestFarm.Browser));
                break;
            }
            case Revoke o when Pick(o.Pick) is { Login: var login }:
            {
                await using var db = farm.Db();
                var handle = await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(login.Session.Id)).Select(s => s.Handle).FirstOrDefaultAsync();
                if (handle is null) break; // deleted by an earlier step
                await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, "test", o.Browser ? RevokeScope.Browser : RevokeScope.Session);
                break;
            }
            case InvalidateUser o:
                await farm.Admin.InvalidateUserAsync(TestFarm.Steward, Users[o.User], "test");
                break;
            case InvalidateEveryone:
                await farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, "test");
                break;
            case Prevent o:
                await farm.Admin.PreventUserAsync(TestFarm.Steward, Users[o.User], "test");
                break;
            case WaitAndSweep o:
                farm.Time.Advance(o.For);
                await farm.Sweeper.SweepOnceAsync();
                break;
            case Delete o when Pick(o.Pick) is { Login: var login }:
            {
                // As the MediaWiki store's DELETE and the sweeper's retention pass remove rows.
                await using var db = farm.Db();
                await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(login.Session.Id)).ExecuteDeleteAsync();
                break;
            }
        }
    }
}
