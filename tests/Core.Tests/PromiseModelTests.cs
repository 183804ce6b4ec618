using System.Text;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests;

/// <summary>
/// The product's promise, checked on random scenarios against its reference model (<see cref="PromiseModel"/>): after a
/// global logout, a revoke, an invalidation or a prevent, no credential that existed before it yields a session again
/// until a new explicit login; a credential the model holds alive does yield its user's session; and every logout's
/// and steward's answer says what it ended and what survives as the promise does.
/// </summary>
public sealed partial class PromiseModelTests
{
    /// <summary>Scenarios per run; raise it with <c>WIKISESSIONS_MODEL_ITERATIONS</c> for a long run.</summary>
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("WIKISESSIONS_MODEL_ITERATIONS"), out var n) ? n : 2000;

    /// <summary>The seed CsCheck prints on a failure, to replay it: <c>WIKISESSIONS_MODEL_SEED</c>.</summary>
    private static readonly string? Seed = Environment.GetEnvironmentVariable("WIKISESSIONS_MODEL_SEED");

    [Fact]
    public async Task Ended_credentials_never_yield_a_session_again_and_live_ones_always_do()
    {
        Op[]? smallest = null;
        try
        {
            await Scenarios.SampleAsync(async ops =>
            {
                try
                {
                    await RunScenarioAsync(ops);
                }
                catch (PromiseBroken broken)
                {
                    var failing = ops[..Math.Min(broken.Step, ops.Length)];
                    lock (ops) if (smallest is null || failing.Length < smallest.Length) smallest = failing;
                    throw;
                }
            }, iter: Iterations, seed: Seed, print: Print);
        }
        catch (CsCheckException ex) when (smallest is not null)
        {
            var (minimal, broken) = await MinimizeAsync(smallest);
            Assert.Fail($"{broken.Message}\n\nSteps, reduced to those needed:{Print(minimal)}\n\nThe whole scenario:{Print(smallest)}\n\n{ex.Message.Split('\n')[0]}");
        }
    }

    /// <summary>Drops one step at a time while the same difference remains (IDs masked), so the report keeps the steps that matter.</summary>
    private static async Task<(Op[] Ops, PromiseBroken Broken)> MinimizeAsync(Op[] ops)
    {
        var broken = await FailureOfAsync(ops) ?? throw new InvalidOperationException("The failing scenario passed when run again.");
        for (var i = ops.Length - 1; i >= 0; i--)
        {
            Op[] shorter = [.. ops[..i], .. ops[(i + 1)..]];
            if (await FailureOfAsync(shorter) is { } again && again.Kind == broken.Kind)
                (ops, broken) = (shorter[..Math.Min(again.Step, shorter.Length)], again);
            i = Math.Min(i, ops.Length);
        }
        return (ops, broken);
    }

    private static async Task<PromiseBroken?> FailureOfAsync(Op[] ops)
    {
        try
        {
            await RunScenarioAsync(ops);
            return null;
        }
        catch (PromiseBroken broken)
        {
            return broken;
        }
    }

    [Fact]
    public async Task A_global_logout_racing_auto_logins_leaves_no_session_of_the_ended_central_session()
    {
        for (var round = 0; round < 50; round++)
        {
            await using var farm = await TestFarm.StartAsync();
            var login = await farm.LoginAsync();
            var enwiki = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
            var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);

            var visits = new[] { "dewiki", "frwiki", "commonswiki" }
                .Select(wiki => Task.Run(() => TryResolveAsync(farm, wiki, central)))
                .ToList();
            var logout = Task.Run(() => farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", enwiki, central, LogoutScope.Global, TestFarm.Browser)));
            await Task.WhenAll([.. visits, logout]);

            foreach (var visit in visits.Select(v => v.Result).OfType<ResolveResult>().Where(v => v.Session is not null))
            {
                var host = visit.SetCookies.First(c => c.Name.EndsWith("_session", StringComparison.Ordinal)).Host;
                var again = await farm.ResolveAsync(visit.Session!.Wiki, TestFarm.CookiesFor(visit.SetCookies, host), central);
                Assert.True(again.Session is null,
                    $"Round {round}: the auto-login on {visit.Session.Wiki} that raced the global logout still resolves after it.");
            }
            await using var db = farm.Db();
            var centralId = await db.CentralSessions.Where(c => c.IdHash == Secrets.Sha256(login.CentralSessionId!)).Select(c => c.Id).SingleAsync();
            var survivors = await db.Sessions.Where(s => s.CentralSessionId == centralId && s.EndedAt == null)
                .Select(s => s.Wiki!.DbName).ToListAsync();
            Assert.True(survivors.Count == 0,
                $"Round {round}: sessions linked to the ended central session are still active on {string.Join(", ", survivors)}.");
        }
    }

    /// <summary>An auto-login that loses the race may be refused by the store; that is not a session.</summary>
    private static async Task<ResolveResult?> TryResolveAsync(TestFarm farm, string wiki, IReadOnlyDictionary<string, string> central)
    {
        try
        {
            return await farm.ResolveAsync(wiki, new Dictionary<string, string>(), central);
        }
        catch (SessionException ex) when (ex.Failure is Failure.Unavailable or Failure.Conflict)
        {
            return null;
        }
    }

    // ---- Generation ----

    /// <summary>Skewed towards a few browsers and wikis, so steps meet the same credentials again.</summary>
    private static readonly Gen<int> AnyBrowser = Gen.Frequency((3, 0), (3, 1), (2, 2), (2, 3));
    private static readonly Gen<int> AnyUser = Gen.Frequency((3, 0), (2, 1), (1, 2));
    private static readonly Gen<int> AnyApp = Gen.Int[0, Farm.Apps - 1];
    private static readonly Gen<int> AnyKey = Gen.Int[0, Farm.StoreKeys - 1];
    private static readonly Gen<string> AnyWiki = Gen.Frequency((5, "enwiki"), (4, "dewiki"), (2, "frwiki"), (2, Farm.Private), (1, Farm.Closed));
    /// <summary>Most steps run on instance A; a quarter on B, which shares A's store.</summary>
    private static readonly Gen<int> AnyInstance = Gen.Frequency((3, 0), (1, 1));
    private static readonly Gen<Carry> AnyCarry = Gen.Frequency((6, Carry.Cookies), (2, Carry.NoCookies), (1, Carry.NeitherField));

    /// <summary>
    /// Waits of a few minutes, of a good part of the idle timeout, past it, and clock jumps of days: past the retention
    /// of ended sessions and past the remember-me lifetime. Every wait is a whole number of minutes plus 7 seconds, so no
    /// sum of waits lands on an expiry boundary, and every wait exceeds the one-minute activity write interval.
    /// </summary>
    private static readonly Gen<TimeSpan> AnyWait = Gen.Frequency(
        (3, Gen.Int[1, 5].Select(m => TimeSpan.FromMinutes(m))),
        (3, Gen.Int[10, 25].Select(m => TimeSpan.FromMinutes(m))),
        (2, Gen.Const(TimeSpan.FromMinutes(45))),
        (1, Gen.Int[0, 2].Select(i => TimeSpan.FromDays(new[] { 2, 8, 31 }[i]))))
        .Select(t => t + TimeSpan.FromSeconds(7));

    private static readonly Gen<Op> AnyOp = Gen.Frequency(
        (7, Gen.Select(AnyBrowser, AnyUser, AnyWiki, Gen.Bool, AnyCarry, (b, u, w, r, c) => (Op)new Login(b, u, w, r, c))),
        (2, Gen.Select(AnyUser, AnyWiki, (u, w) => (Op)new BotLogin(u, w))),
        (2, Gen.Select(AnyApp, AnyUser, AnyWiki, (a, u, w) => (Op)new OAuthLogin(a, u, w))),
        (14, Gen.Select(AnyBrowser, AnyWiki, AnyInstance, (b, w, i) => (Op)new Visit(b, w, i))),
        (2, Gen.Select(AnyUser, AnyWiki, AnyInstance, (u, w, i) => (Op)new BotRequest(u, w, i))),
        (3, Gen.Select(AnyApp, AnyWiki, AnyInstance, (a, w, i) => (Op)new AppRequest(a, w, i))),
        (4, Gen.Select(AnyBrowser, AnyWiki, Gen.Bool, AnyInstance, (b, w, global, i) => (Op)new Logout(b, w, global ? LogoutScope.Global : LogoutScope.Local, i))),
        (4, Gen.Select(Gen.Int[0, 9], Gen.Bool, AnyInstance, (pick, browser, i) => (Op)new Revoke(pick, browser ? Reach.Browser : Reach.Session, i))),
        (1, Gen.Select(AnyUser, AnyInstance, (u, i) => (Op)new InvalidateUser(u, i))),
        (1, AnyInstance.Select(i => (Op)new InvalidateEveryone(i))),
        (1, Gen.Select(AnyUser, AnyInstance, (u, i) => (Op)new Prevent(u, i))),
        (1, Gen.Select(AnyUser, AnyInstance, (u, i) => (Op)new Lock(u, i))),
        (1, Gen.Select(AnyUser, AnyInstance, (u, i) => (Op)new Unlock(u, i))),
        (1, Gen.Select(AnyUser, AnyInstance, (u, i) => (Op)new RevokeGrant(u, i))),
        (1, Gen.Select(AnyUser, AnyInstance, (u, i) => (Op)new RevokeBotPassword(u, i))),
        (3, Gen.Select(AnyKey, AnyUser, Gen.Bool, AnyInstance, (k, u, r, i) => (Op)new StoreWrite(k, u, r, i))),
        (5, Gen.Select(AnyKey, AnyInstance, (k, i) => (Op)new StoreRead(k, i))),
        (2, Gen.Select(AnyKey, AnyInstance, (k, i) => (Op)new StoreDelete(k, i))),
        (1, Gen.Const((Op)new Sweep())),
        (2, Gen.Select(Gen.Int[0, 1], Gen.Bool, (i, up) => (Op)new Redis(i, up))),
        (6, AnyWait.Select(t => (Op)new Wait(t))));

    private static readonly Gen<Op[]> Scenarios = AnyOp.Array[12, 30];

    private static string Print(Op[] ops) =>
        "\n" + string.Join("\n", ops.Select((op, i) => $"{i + 1,3}. {op}"));

    private static async Task RunScenarioAsync(Op[] ops)
    {
        await using var farm = await TestFarm.StartAsync();
        await using var other = farm.AnotherInstance();
        await MakeAliceAMemberOfThePrivateWikiAsync(farm);
        var run = new ScenarioRun(farm, other);
        for (var i = 0; i < ops.Length; i++) await run.StepAsync(ops[i], i + 1);
        await run.FinalCheckAsync();
    }

    private static async Task MakeAliceAMemberOfThePrivateWikiAsync(TestFarm farm)
    {
        await using var db = farm.Db();
        var alice = await db.Users.Where(u => u.Name == TestFarm.Alice).Select(u => u.Id).SingleAsync();
        var wiki = await db.Wikis.Where(w => w.DbName == Farm.Private).Select(w => w.Id).SingleAsync();
        db.Attachments.Add(new UserAttachment { UserId = alice, WikiId = wiki, AttachedAt = farm.Time.GetUtcNow() });
        await db.SaveChangesAsync();
    }
}
