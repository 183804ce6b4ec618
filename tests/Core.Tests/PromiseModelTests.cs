using CsCheck;
using Microsoft.EntityFrameworkCore;

namespace WikiSessions.Core.Tests;

/// <summary>
/// The product's promise, checked on random scenarios against a reference model (<see cref="PromiseModel"/>): after a
/// global logout, a revoke, an invalidation or a prevent, no credential that existed before it yields a session again
/// until a new explicit login; and a credential the model holds alive does yield its user's session.
/// </summary>
public sealed partial class PromiseModelTests
{
    /// <summary>Scenarios per run; raise it with <c>WIKISESSIONS_MODEL_ITERATIONS</c> for a long run.</summary>
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("WIKISESSIONS_MODEL_ITERATIONS"), out var n) ? n : 500;

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
            var sweep = broken.Step == Sweep ? "\n end. every browser, bot and app tries every wiki" : "";
            Assert.Fail($"{broken.Message}\n\nSteps, reduced to those needed:{Print(minimal)}{sweep}\n\n{ex.Message.Split('\n')[0]}");
        }
    }

    /// <summary>
    /// CsCheck shrinks by size, not by structure: drop one step at a time while the same difference remains
    /// (compared with session IDs masked), so the report keeps only the steps that matter.
    /// </summary>
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
            var logout = Task.Run(() => Engine.LogoutAsync(farm, "enwiki", enwiki, central, LogoutScope.Global));
            await Task.WhenAll([.. visits, logout]);

            foreach (var visit in visits.Select(v => v.Result).OfType<ResolveResult>().Where(v => v.Session is not null))
            {
                var host = visit.SetCookies.First(c => c.Name.EndsWith("_session", StringComparison.Ordinal)).Host;
                var again = await Engine.ResolveAsync(farm, visit.Session!.Wiki, TestFarm.CookiesFor(visit.SetCookies, host), central, null);
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
            return await Engine.ResolveAsync(farm, wiki, new Dictionary<string, string>(), central, null);
        }
        catch (SessionException ex) when (ex.Failure is Failure.Unavailable or Failure.Conflict)
        {
            return null;
        }
    }

    // ---- Generation ----

    /// <summary>Skewed towards a few browsers and wikis, so steps meet the same credentials again.</summary>
    private static readonly Gen<int> AnyBrowser = Gen.Frequency((3, 0), (3, 1), (2, 2), (2, 3));
    private static readonly Gen<int> AnyUser = Gen.Int[0, Farm.Users.Length - 1];
    private static readonly Gen<int> AnyApp = Gen.Int[0, Farm.Apps - 1];
    private static readonly Gen<string> AnyWiki = Gen.Frequency((5, "enwiki"), (4, "dewiki"), (2, "frwiki"), (2, Farm.Private), (1, Farm.Closed));

    /// <summary>
    /// Waits of a few minutes, of a good part of the idle timeout, past it, and past the remember-me lifetime.
    /// Every wait is a whole number of minutes plus 7 seconds, so no sum of waits lands on an expiry boundary (where
    /// "at" versus "after" is not part of the promise), and every wait exceeds the one-minute activity write interval.
    /// </summary>
    private static readonly Gen<TimeSpan> AnyWait = Gen.Frequency(
        (3, Gen.Int[1, 5].Select(m => TimeSpan.FromMinutes(m))),
        (3, Gen.Int[10, 25].Select(m => TimeSpan.FromMinutes(m))),
        (1, Gen.Const(TimeSpan.FromMinutes(45))),
        (1, Gen.Const(TimeSpan.FromDays(31))))
        .Select(t => t + TimeSpan.FromSeconds(7));

    private static readonly Gen<Op> AnyOp = Gen.Frequency(
        (6, Gen.Select(AnyBrowser, AnyUser, AnyWiki, (b, u, w) => (Op)new Login(b, u, w))),
        (2, Gen.Select(AnyUser, AnyWiki, (u, w) => (Op)new BotLogin(u, w))),
        (2, Gen.Select(AnyApp, AnyUser, AnyWiki, (a, u, w) => (Op)new OAuthLogin(a, u, w))),
        (16, Gen.Select(AnyBrowser, AnyWiki, (b, w) => (Op)new Visit(b, w))),
        (3, Gen.Select(AnyUser, AnyWiki, (u, w) => (Op)new BotRequest(u, w))),
        (3, Gen.Select(AnyApp, AnyWiki, (a, w) => (Op)new AppRequest(a, w))),
        (4, Gen.Select(AnyBrowser, AnyWiki, Gen.Bool, (b, w, global) => (Op)new Logout(b, w, global ? LogoutScope.Global : LogoutScope.Local))),
        (3, Gen.Select(Gen.Int[0, 9], Gen.Bool, (pick, browser) => (Op)new Revoke(pick, browser ? Reach.Browser : Reach.Session))),
        (1, AnyUser.Select(u => (Op)new InvalidateUser(u))),
        (1, Gen.Const((Op)new InvalidateEveryone())),
        (1, AnyUser.Select(u => (Op)new Prevent(u))),
        (1, AnyUser.Select(u => (Op)new RevokeGrant(u))),
        (1, AnyUser.Select(u => (Op)new RevokeBotPassword(u))),
        (6, AnyWait.Select(t => (Op)new Wait(t))));

    private static readonly Gen<Op[]> Scenarios = AnyOp.Array[10, 30];

    private static string Print(Op[] ops) =>
        "\n" + string.Join("\n", ops.Select((op, i) => $"{i + 1,3}. {op}"));

    private static async Task RunScenarioAsync(Op[] ops)
    {
        await using var farm = await TestFarm.StartAsync();
        await MakeAliceAMemberOfThePrivateWikiAsync(farm);
        var run = new ScenarioRun(farm);
        for (var i = 0; i < ops.Length; i++) await run.StepAsync(ops[i], i + 1);
        await run.SweepAsync();
    }

    private static async Task MakeAliceAMemberOfThePrivateWikiAsync(TestFarm farm)
    {
        await using var db = farm.Db();
        var alice = await db.Users.Where(u => u.Name == TestFarm.Alice).Select(u => u.Id).SingleAsync();
        var wiki = await db.Wikis.Where(w => w.DbName == Farm.Private).Select(w => w.Id).SingleAsync();
        db.Attachments.Add(new UserAttachment { UserId = alice, WikiId = wiki, AttachedAt = farm.Time.GetUtcNow() });
        await db.SaveChangesAsync();
    }

    // ---- One scenario against the engine and the model ----

    private sealed class ScenarioRun(TestFarm farm)
    {
        private readonly PromiseModel _model = new();
        private readonly Jar[] _browsers = Enumerable.Range(0, Farm.Browsers).Select(b => new Jar(Farm.IsStale(b))).ToArray();
        private readonly Jar[] _bots = Enumerable.Range(0, Farm.Users.Length).Select(_ => new Jar(stale: false)).ToArray();
        private readonly string?[] _authorizations = new string?[Farm.Apps];
        private readonly List<string> _trace = [];
        private string _step = "";
        private int _number;

        public async Task StepAsync(Op op, int number)
        {
            // Every step at its own instant, so "issued after the invalidation" never hinges on equal timestamps.
            farm.Time.Advance(TimeSpan.FromMilliseconds(1));
            _model.Now = farm.Time.GetUtcNow();
            _number = number;
            _step = number == Sweep ? $"end. {op}" : $"{number,3}. {op}";
            var outcome = op switch
            {
                Login o => await LoginAsync(o),
                BotLogin o => await BotLoginAsync(o),
                OAuthLogin o => await OAuthLoginAsync(o),
                Visit o => await VisitAsync(o),
                BotRequest o => await BotRequestAsync(o),
                AppRequest o => await AppRequestAsync(o),
                Logout o => await LogoutAsync(o),
                Revoke o => await RevokeAsync(o),
                InvalidateUser o => await InvalidateUserAsync(o),
                InvalidateEveryone => await InvalidateEveryoneAsync(),
                Prevent o => await PreventAsync(o),
                RevokeGrant o => await RevokeGrantAsync(o),
                RevokeBotPassword o => await RevokeBotPasswordAsync(o),
                Wait o => Advance(o.For),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
            // The sweep's empty answers are expected by the model and only lengthen the story.
            if (number != Sweep || outcome != "no session") _trace.Add($"{_step}: {outcome}");
        }

        /// <summary>At the end, every browser, bot and app tries every wiki: each credential left is checked once more.</summary>
        public async Task SweepAsync()
        {
            foreach (var wiki in Farm.Wikis)
            {
                for (var browser = 0; browser < Farm.Browsers; browser++) await StepAsync(new Visit(browser, wiki), Sweep);
                for (var user = 0; user < Farm.Users.Length; user++)
                    if (_bots[user].Get(Farm.Host(wiki), $"{wiki}_BPsession") is not null) await StepAsync(new BotRequest(user, wiki), Sweep);
                for (var app = 0; app < Farm.Apps; app++)
                    if (_authorizations[app] is not null) await StepAsync(new AppRequest(app, wiki), Sweep);
            }
        }

        private async Task<string> LoginAsync(Login op)
        {
            var jar = _browsers[op.Browser];
            var host = Farm.Host(op.Wiki);
            var remember = Farm.Remembers(op.Browser);
            var carriedSession = _model.SessionById(jar.Get(host, $"{op.Wiki}_session"), op.Wiki, bot: false);
            var carriedCentral = _model.CentralById(jar.Get(TestFarm.CentralHost, CookieRules.CentralSession));
            var reuse = carriedCentral is not null && carriedCentral.User == op.User ? _model.IsAlive(carriedCentral) : false;
            var carriedToken = _model.TokenOf(op.Browser, op.Wiki, jar.Get(host, $"{op.Wiki}UserID"), jar.Get(host, $"{op.Wiki}Token"));
            ModelCentral?[] named =
            [
                carriedCentral,
                carriedSession?.User == op.User ? _model.CentralById(carriedSession.CentralId ?? carriedSession.FromToken?.CentralId) : null,
                carriedToken?.User == op.User ? _model.CentralById(carriedToken.CentralId) : null,
            ];

            var result = await Engine.LoginAsync(farm, op.User, op.Wiki, ProviderKind.Cookie, remember, jar.For(host), jar.For(TestFarm.CentralHost));
            if (!ExpectLogin(result, _model.MayLogIn(op.User, op.Wiki), op.User)) return "refused";
            jar.Apply(result!.SetCookies, _model.Now);

            var reused = carriedCentral is not null && result.CentralSessionId == carriedCentral.Id;
            if (reuse is null) _model.LoginRefreshesCentral = reused;
            else Expect(reused == reuse, reuse.Value
                ? "The login should reuse the browser's live central session of the same user, but made a new one."
                : "The login reused a central session the model holds dead (or of another user).");
            ModelCentral central;
            if (reused)
            {
                central = carriedCentral!;
                _model.TouchCentralByLogin(central);
            }
            else
            {
                Expect(result.CentralSessionId is not null && result.SetCookies.Any(c => c.Host == TestFarm.CentralHost && c.Name == CookieRules.CentralSession && c.Value == result.CentralSessionId),
                    "A login that makes a new central session must set the central cookie to it.");
                central = _model.AddCentral(result.CentralSessionId!, op.User, remember);
            }

            _model.JoinBrowser(central, named);
            if (carriedSession is not null) carriedSession.Ended = true;
            var session = _model.AddSession(result.Session.Id, op.Wiki, op.User, $"browser {op.Browser}", "login", centralId: central.Id, remember: remember);
            ExpectSessionCookie(result.SetCookies, host, $"{op.Wiki}_session", session.Id);
            var token = TokenCookie(result.SetCookies, host, op.Wiki);
            Expect(token is not null == remember, remember ? "A remember-me login must set the token cookie." : "A login without remember-me set a token cookie.");
            if (token is not null) _model.AddToken(op.Browser, op.Wiki, jar.Get(host, $"{op.Wiki}UserID") ?? "", token, op.User, central.Id);
            return $"session {Short(session.Id)}, {(reused ? "central session reused" : $"new central session {Short(central.Id)}")}";
        }

        private async Task<string> BotLoginAsync(BotLogin op)
        {
            var jar = _bots[op.User];
            var host = Farm.Host(op.Wiki);
            var cookie = $"{op.Wiki}_BPsession";
            var carried = _model.SessionById(jar.Get(host, cookie), op.Wiki, bot: true);
            var result = await Engine.LoginAsync(farm, op.User, op.Wiki, ProviderKind.BotPassword, false, jar.For(host), null);
            if (!ExpectLogin(result, _model.MayLogIn(op.User, op.Wiki) && !_model.BotPasswordRevoked[op.User], op.User)) return "refused";
            jar.Apply(result!.SetCookies, _model.Now);
            if (carried is not null) carried.Ended = true;
            var session = _model.AddSession(result.Session.Id, op.Wiki, op.User, "bot", "bot password", bot: true);
            ExpectSessionCookie(result.SetCookies, host, cookie, session.Id);
            return $"session {Short(session.Id)}";
        }

        private async Task<string> OAuthLoginAsync(OAuthLogin op)
        {
            var result = await Engine.LoginAsync(farm, op.User, op.Wiki, ProviderKind.OAuth, false, null, null);
            if (!ExpectLogin(result, _model.MayLogIn(op.User, op.Wiki) && !_model.GrantRevoked[op.User], op.User)) return "refused";
            Expect(result!.Authorization is not null, "An OAuth login must return the authorization the app sends.");
            _authorizations[op.App] = result.Authorization;
            _model.Authorizations[op.App] = new ModelAuthorization { User = op.User };
            return $"authorization {Short(result.Authorization!)}";
        }

        private async Task<string> VisitAsync(Visit op)
        {
            var jar = _browsers[op.Browser];
            var host = Farm.Host(op.Wiki);
            var cookies = jar.For(host);
            var central = jar.For(TestFarm.CentralHost);
            var expected = _model.ExpectBrowser(op.Browser, op.Wiki, cookies, central);
            var result = await Engine.ResolveAsync(farm, op.Wiki, cookies, central, null);
            jar.Apply(result.SetCookies, _model.Now);
            var got = result.Session;

            if (expected.Uncertain)
            {
                // The only reading in which this central session is alive is the one where logins refresh it.
                _model.LoginRefreshesCentral = got is not null;
                if (got is null) return "no session (so a login that reuses a central session does not refresh it)";
            }
            switch (expected.Branch)
            {
                case "session":
                    var session = expected.Session!;
                    Expect(got?.Id == session.Id,
                        $"The cookie names {Describe(session)}, which the model holds active; the engine answered {Describe(result)}.");
                    session.LastActivity = _model.Now;
                    _model.RefreshCentral(session.CentralId);
                    return $"{Describe(session)}";
                case "remember-me":
                    var token = expected.Token!;
                    ExpectNewSession(result, token.User, autoLogin: false, $"a session restored from {Farm.Short(token.User)}'s live remember-me token");
                    var restored = _model.AddSession(got!.Id, op.Wiki, token.User, $"browser {op.Browser}", "restored", fromToken: token, remember: true);
                    AddTokenIfNew(op.Browser, op.Wiki, result, jar, token.User, token.CentralId);
                    return $"restored {Describe(restored)}";
                case "auto-login":
                    var carried = expected.Central!;
                    ExpectNewSession(result, carried.User, autoLogin: true, $"an auto-login from {Farm.Short(carried.User)}'s live central session {Short(carried.Id)}");
                    var auto = _model.AddSession(got!.Id, op.Wiki, carried.User, $"browser {op.Browser}", "auto-login", centralId: carried.Id, remember: carried.Remember);
                    _model.RefreshCentral(carried.Id);
                    AddTokenIfNew(op.Browser, op.Wiki, result, jar, carried.User, carried.Id);
                    return $"auto-login {Describe(auto)}";
                default:
                    Expect(got is null, $"Every credential in the request is dead, yet the engine answered {Describe(result)}.");
                    return "no session";
            }
        }

        private async Task<string> BotRequestAsync(BotRequest op)
        {
            var jar = _bots[op.User];
            var host = Farm.Host(op.Wiki);
            var session = _model.SessionById(jar.Get(host, $"{op.Wiki}_BPsession"), op.Wiki, bot: true);
            var result = await Engine.ResolveAsync(farm, op.Wiki, jar.For(host), null, null);
            jar.Apply(result.SetCookies, _model.Now);
            if (session is not null && _model.IsAlive(session))
            {
                Expect(result.Session?.Id == session.Id, $"The bot's cookie names {Describe(session)}, which the model holds active; the engine answered {Describe(result)}.");
                session.LastActivity = _model.Now;
                return Describe(session);
            }
            Expect(result.Session is null, $"The bot's cookie names {(session is null ? "no session" : Describe(session))}, which is dead, yet the engine answered {Describe(result)}.");
            return "no session";
        }

        private async Task<string> AppRequestAsync(AppRequest op)
        {
            var authorization = _model.Authorizations[op.App];
            var result = await Engine.ResolveAsync(farm, op.Wiki, new Dictionary<string, string>(), null, _authorizations[op.App]);
            if (authorization is { Ended: false } && Farm.MayUse(authorization.User, op.Wiki))
            {
                Expect(result.Session?.User == Farm.Users[authorization.User],
                    $"The app's authorization of {Farm.Short(authorization.User)} is alive, yet the engine answered {Describe(result)}.");
                return $"{Farm.Short(authorization.User)}'s OAuth session";
            }
            Expect(result.Session is null, $"The app's authorization is dead or not valid on {op.Wiki}, yet the engine answered {Describe(result)}.");
            return "no session";
        }

        private async Task<string> LogoutAsync(Logout op)
        {
            var jar = _browsers[op.Browser];
            var host = Farm.Host(op.Wiki);
            var cookies = jar.For(host);
            var central = jar.For(TestFarm.CentralHost);
            var session = _model.SessionById(cookies.GetValueOrDefault($"{op.Wiki}_session"), op.Wiki, bot: false);
            var token = _model.TokenOf(op.Browser, op.Wiki, cookies.GetValueOrDefault($"{op.Wiki}UserID"), cookies.GetValueOrDefault($"{op.Wiki}Token"));
            var centralId = central.GetValueOrDefault(CookieRules.CentralSession);

            var result = await Engine.LogoutAsync(farm, op.Wiki, cookies, central, op.Scope);
            jar.Apply(result.SetCookies, _model.Now);

            if (session is not null) session.Ended = true;
            if (token is not null) token.Ended = true;
            if (session?.FromToken is { } source) source.Ended = true;
            if (op.Scope == LogoutScope.Global)
                _model.EndBrowsers([centralId, session?.CentralId, session?.FromToken?.CentralId], [token, session?.FromToken]);
            return $"{result.Outcome}{(session is null ? "" : $", ended {Describe(session)}")}";
        }

        private async Task<string> RevokeAsync(Revoke op)
        {
            var candidates = _model.Revocable(op.Reach);
            if (candidates.Count == 0) return "nothing to revoke";
            var session = candidates[op.Pick % candidates.Count];
            var revoked = await Engine.RevokeSessionAsync(farm, session.Id, op.Reach);
            Expect(revoked, $"The engine says {Describe(session)} had already ended; the model holds it active.");
            session.Ended = true;
            if (op.Reach == Reach.Browser) _model.EndBrowsers([session.CentralId], []);
            return $"revoked {Describe(session)}";
        }

        private async Task<string> InvalidateUserAsync(InvalidateUser op)
        {
            await Engine.InvalidateUserAsync(farm, op.User);
            _model.EndEverythingOf(u => u == op.User);
            return "done";
        }

        private async Task<string> InvalidateEveryoneAsync()
        {
            await Engine.InvalidateEveryoneAsync(farm);
            _model.EndEverythingOf(_ => true);
            return "done";
        }

        private async Task<string> PreventAsync(Prevent op)
        {
            if (_model.Prevented[op.User]) return "skipped: already prevented";
            await Engine.PreventUserAsync(farm, op.User);
            _model.EndEverythingOf(u => u == op.User);
            _model.Prevented[op.User] = _model.GrantRevoked[op.User] = _model.BotPasswordRevoked[op.User] = true;
            return "done";
        }

        private async Task<string> RevokeGrantAsync(RevokeGrant op)
        {
            if (_model.GrantRevoked[op.User]) return "skipped: already revoked";
            await Engine.RevokeGrantAsync(farm, op.User);
            foreach (var a in _model.Authorizations.OfType<ModelAuthorization>().Where(a => a.User == op.User)) a.Ended = true;
            _model.GrantRevoked[op.User] = true;
            return "done";
        }

        private async Task<string> RevokeBotPasswordAsync(RevokeBotPassword op)
        {
            if (_model.BotPasswordRevoked[op.User]) return "skipped: already revoked";
            await Engine.RevokeBotPasswordAsync(farm, op.User);
            foreach (var s in _model.Sessions.Where(s => s.Bot && s.User == op.User)) s.Ended = true;
            _model.BotPasswordRevoked[op.User] = true;
            return "done";
        }

        private string Advance(TimeSpan by)
        {
            farm.Time.Advance(by);
            return $"now {farm.Time.GetUtcNow() - TestFarm.Start:d\\.hh\\:mm\\:ss} after the start";
        }

        /// <summary>Refused exactly when the model refuses: a closed wiki, a private one without membership, a prevented user, a revoked credential.</summary>
        private bool ExpectLogin(LoginResult? result, bool allowed, int user)
        {
            if (!allowed)
            {
                Expect(result is null, $"The login should be refused (Forbidden), but the engine made {Describe(result?.Session)}.");
                return false;
            }
            Expect(result is not null, "The login should succeed, but the engine refused it.");
            Expect(result!.Session.User == Farm.Users[user], $"The login made a session of {result.Session.User}.");
            return true;
        }

        private void ExpectNewSession(ResolveResult result, int user, bool autoLogin, string what)
        {
            var got = result.Session;
            Expect(got is not null && got.User == Farm.Users[user] && result.AutoLogin == autoLogin && _model.Sessions.All(s => s.Id != got.Id),
                $"The model expected {what}; the engine answered {Describe(result)}.");
            ExpectSessionCookie(result.SetCookies, Farm.Host(got!.Wiki), $"{got.Wiki}_session", got.Id);
        }

        private void ExpectSessionCookie(IEnumerable<SetCookie> cookies, string host, string name, string id) =>
            Expect(cookies.Any(c => c.Host == host && c.Name == name && c.Value == id), $"The answer must set the {name} cookie to the new session.");

        /// <summary>A token cookie in an answer is a credential from now on, unless the browser already holds it alive.</summary>
        private void AddTokenIfNew(int browser, string wiki, ResolveResult result, Jar jar, int user, string? centralId)
        {
            if (TokenCookie(result.SetCookies, Farm.Host(wiki), wiki) is not { } value) return;
            var userId = jar.Get(Farm.Host(wiki), $"{wiki}UserID") ?? "";
            if (_model.TokenOf(browser, wiki, userId, value) is { } held && _model.IsAlive(held)) return;
            _model.AddToken(browser, wiki, userId, value, user, centralId);
        }

        private static string? TokenCookie(IEnumerable<SetCookie> cookies, string host, string wiki) =>
            cookies.FirstOrDefault(c => c.Host == host && c.Name == $"{wiki}Token" && c.Value.Length > 0)?.Value;

        private void Expect(bool condition, string what)
        {
            if (condition) return;
            var story = string.Join("\n", _trace.Append($"{_step}: <-- here"));
            throw new PromiseBroken(what, story, _number);
        }

        private string Describe(ModelSession s) =>
            $"{Farm.Short(s.User)}'s {s.Origin} session {Short(s.Id)} on {s.Wiki} ({s.Holder}, {(_model.IsAlive(s) ? "active" : "ended")})";

        private static string Describe(WikiSession? s) =>
            s is null ? "no session" : $"{s.User?["Sandbox ".Length..] ?? "anonymous"}'s {s.Provider} session {Short(s.Id)} on {s.Wiki}";

        private static string Describe(ResolveResult r) =>
            r.Session is null ? $"no session ({r.Reason})" : Describe(r.Session) + (r.AutoLogin ? " by auto-login" : "");

        private static string Short(string id) => id.Length > 8 ? id[..8] : id;
    }

    /// <summary>A browser's (or bot's) cookies, per host. A stale jar ignores deletions and keeps sending the old values.</summary>
    private sealed class Jar(bool stale)
    {
        private readonly Dictionary<string, Dictionary<string, string>> _hosts = [];

        public Dictionary<string, string> For(string host) => new(_hosts.GetValueOrDefault(host) ?? []);

        public string? Get(string host, string name) => _hosts.GetValueOrDefault(host)?.GetValueOrDefault(name);

        public void Apply(IEnumerable<SetCookie> cookies, DateTimeOffset now)
        {
            foreach (var cookie in cookies)
            {
                if (!_hosts.TryGetValue(cookie.Host, out var host)) _hosts[cookie.Host] = host = [];
                var deletion = cookie.Value.Length == 0 || cookie.ExpiresAt <= now;
                if (!deletion) host[cookie.Name] = cookie.Value;
                else if (!stale) host.Remove(cookie.Name);
            }
        }
    }

    /// <summary>The step number of the final sweep.</summary>
    private const int Sweep = int.MaxValue;

    /// <summary>A difference between the engine and the model, at step <c>Step</c> (1-based, or <see cref="Sweep"/>).</summary>
    private sealed partial class PromiseBroken(string what, string story, int step) : Exception($"{what}\n\nWhat happened (IDs shortened):\n{story}")
    {
        public int Step => step;
        /// <summary>The difference without its IDs, to tell whether a shorter scenario still shows the same one.</summary>
        public string Kind => HexId().Replace(what, "#");

        [System.Text.RegularExpressions.GeneratedRegex("[0-9a-f]{8,}")]
        private static partial System.Text.RegularExpressions.Regex HexId();
    }

    // ---- Engine calls: the only place that knows the engine's signatures ----

    private static class Engine
    {
        private const string Reason = "Model-based test";

        /// <summary>The login's result, or null when the engine refused it as forbidden.</summary>
        public static async Task<LoginResult?> LoginAsync(TestFarm farm, int user, string wiki, ProviderKind provider, bool remember,
            IReadOnlyDictionary<string, string>? cookies, IReadOnlyDictionary<string, string>? central)
        {
            try
            {
                return await farm.Sessions.LoginAsync(new LoginRequest(wiki, Farm.Users[user], provider, remember,
                    provider == ProviderKind.BotPassword ? Farm.AppId : null, provider == ProviderKind.OAuth ? Farm.Consumer : null,
                    TestFarm.Browser, cookies, central));
            }
            catch (SessionException ex) when (ex.Failure == Failure.Forbidden)
            {
                return null;
            }
        }

        public static Task<ResolveResult> ResolveAsync(TestFarm farm, string wiki, IReadOnlyDictionary<string, string> cookies,
            IReadOnlyDictionary<string, string>? central, string? authorization) =>
            farm.Sessions.ResolveAsync(new ResolveRequest(wiki, cookies, central, authorization, TestFarm.Browser));

        public static Task<LogoutResult> LogoutAsync(TestFarm farm, string wiki, IReadOnlyDictionary<string, string> cookies,
            IReadOnlyDictionary<string, string> central, LogoutScope scope) =>
            farm.Logouts.LogoutAsync(new LogoutRequest(wiki, cookies, central, scope, TestFarm.Browser));

        /// <summary>False when the engine says the session had already ended.</summary>
        public static async Task<bool> RevokeSessionAsync(TestFarm farm, string sessionId, Reach reach)
        {
            string handle;
            await using (var db = farm.Db())
                handle = await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(sessionId)).Select(s => s.Handle).SingleAsync();
            try
            {
                await farm.Admin.RevokeSessionAsync(TestFarm.Steward, handle, Reason, reach == Reach.Browser ? RevokeScope.Browser : RevokeScope.Session);
                return true;
            }
            catch (SessionException ex) when (ex.Failure == Failure.Conflict)
            {
                return false;
            }
        }

        public static Task InvalidateUserAsync(TestFarm farm, int user) => farm.Admin.InvalidateUserAsync(TestFarm.Steward, Farm.Users[user], Reason);

        public static Task InvalidateEveryoneAsync(TestFarm farm) => farm.Admin.InvalidateEveryoneAsync(TestFarm.Steward, Reason);

        public static Task PreventUserAsync(TestFarm farm, int user) => farm.Admin.PreventUserAsync(TestFarm.Steward, Farm.Users[user], Reason);

        public static async Task RevokeGrantAsync(TestFarm farm, int user)
        {
            try
            {
                await farm.Admin.RevokeGrantAsync(TestFarm.Steward, Farm.Users[user], Farm.Consumer, Reason);
            }
            catch (SessionException ex) when (ex.Failure == Failure.NotFound)
            {
                // Already revoked (by prevent): nothing to do.
            }
        }

        public static async Task RevokeBotPasswordAsync(TestFarm farm, int user)
        {
            try
            {
                await farm.Admin.RevokeBotPasswordAsync(TestFarm.Steward, Farm.Users[user], Farm.AppId, Reason);
            }
            catch (SessionException ex) when (ex.Failure == Failure.NotFound)
            {
                // Already revoked (by prevent): nothing to do.
            }
        }
    }
}
