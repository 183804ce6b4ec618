using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.MediaWiki;
using static WikiSessions.Core.Tests.PromiseModel;
using Session = WikiSessions.Core.Tests.PromiseModel.Session;

namespace WikiSessions.Core.Tests;

public sealed partial class PromiseModelTests
{
    /// <summary>
    /// One scenario against the engine and the model. Two instances share the store; each hears the other's evictions
    /// while both hear Redis. A step on an instance that may hold copies another instance could not tell it about (that
    /// one is cut off from Redis and ended something) runs on the cut-off one instead: the promise bounds such a copy by
    /// <c>Sessions:CacheBackstop</c>, a time this test does not assert on. Once the cut-off instance hears Redis again,
    /// both are held to the model.
    /// </summary>
    private sealed class ScenarioRun
    {
        private readonly TestFarm _farm;
        private readonly IServiceProvider[] _instances;
        private readonly SessionCache[] _caches;
        private readonly bool[] _hearsRedis = [true, true];
        /// <summary>The instance may hold copies of what the other ended while cut off.</summary>
        private readonly bool[] _mayBeStale = new bool[2];
        private readonly bool[] _changedWhileCut = new bool[2];
        private readonly PromiseModel _model = new();
        private readonly Jar[] _browsers = Enumerable.Range(0, Farm.Browsers).Select(b => new Jar(Farm.IsStale(b))).ToArray();
        private readonly Jar[] _bots = Enumerable.Range(0, Farm.Users.Length).Select(_ => new Jar(stale: false)).ToArray();
        private readonly string?[] _authorizations = new string?[Farm.Apps];
        private readonly byte[]?[] _written = new byte[]?[Farm.StoreKeys];
        private readonly List<string> _trace = [];
        private string _step = "";
        private int _number;

        public ScenarioRun(TestFarm farm, IServiceProvider other)
        {
            _farm = farm;
            _instances = [farm.Services, other];
            _caches = [.. _instances.Select(i => i.GetRequiredService<SessionCache>())];
            // Redis, as the app relays it: an eviction reaches the other instance while both hear Redis.
            _caches[0].Evicted += m => { if (_hearsRedis[0] && _hearsRedis[1]) _caches[1].Apply(m); };
            _caches[1].Evicted += m => { if (_hearsRedis[0] && _hearsRedis[1]) _caches[0].Apply(m); };
        }

        public async Task StepAsync(Op op, int number)
        {
            // Every step at its own instant, so "issued after the invalidation" never hinges on equal timestamps.
            _farm.Time.Advance(TimeSpan.FromMilliseconds(1));
            _model.Now = _farm.Time.GetUtcNow();
            _number = number;
            _step = number == Final ? $"end. {op}" : $"{number,3}. {op}";
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
                InvalidateUser o => await StewardAsync(o.On, a => a.InvalidateUserAsync(TestFarm.Steward, Farm.Users[o.User], Reason),
                    () => _model.EndEverythingOf(u => u == o.User), u => u == o.User),
                InvalidateEveryone o => await StewardAsync(o.On, a => a.InvalidateEveryoneAsync(TestFarm.Steward, Reason),
                    () => _model.EndEverythingOf(_ => true), _ => true),
                Prevent o => await PreventAsync(o),
                Lock o => await LockAsync(o),
                Unlock o => await UnlockAsync(o),
                RevokeGrant o => await RevokeGrantAsync(o),
                RevokeBotPassword o => await RevokeBotPasswordAsync(o),
                StoreWrite o => await StoreWriteAsync(o),
                StoreRead o => await StoreReadAsync(o.Key, o.On),
                StoreDelete o => await StoreDeleteAsync(o),
                Sweep => await SweepAsync(),
                Redis o => RedisLink(o),
                Wait o => Advance(o.For),
                _ => throw new ArgumentOutOfRangeException(nameof(op)),
            };
            if (number != Final || outcome != "no session") _trace.Add($"{_step}: {outcome}");
        }

        /// <summary>At the end Redis is back for both; every browser, bot and app tries every wiki on both, and every key is read.</summary>
        public async Task FinalCheckAsync()
        {
            for (var i = 0; i < 2; i++) if (!_hearsRedis[i]) await StepAsync(new Redis(i, Up: true), Final);
            for (var on = 0; on < 2; on++)
            {
                // Instance B, which may have missed evictions, is asked for the busiest wikis; A for every open one.
                foreach (var wiki in on == 0 ? Farm.Wikis.Where(w => w != Farm.Closed) : Farm.Wikis[..2])
                {
                    for (var browser = 0; browser < Farm.Browsers; browser++) await StepAsync(new Visit(browser, wiki, on), Final);
                    for (var user = 0; user < Farm.Users.Length; user++)
                        if (_bots[user].Get(Farm.Host(wiki), $"{wiki}_BPsession") is not null) await StepAsync(new BotRequest(user, wiki, on), Final);
                    for (var app = 0; app < Farm.Apps; app++)
                        if (_authorizations[app] is not null) await StepAsync(new AppRequest(app, wiki, on), Final);
                }
                for (var key = 0; key < Farm.StoreKeys; key++)
                    if (_written[key] is not null) await StepAsync(new StoreRead(key, on), Final);
            }
        }

        // ---- Instances ----

        /// <summary>The instance a step runs on, and a note that the model saw a change made where Redis could not carry it.</summary>
        private (IServiceProvider Services, string Note) On(int instance, bool changes)
        {
            if (_mayBeStale[instance]) instance = 1 - instance;
            var other = 1 - instance;
            if (changes && !_hearsRedis[instance])
            {
                _changedWhileCut[instance] = true;
                if (_hearsRedis[other]) _mayBeStale[other] = true;
            }
            return (_instances[instance], instance == 0 ? "" : " [B]");
        }

        private string RedisLink(Redis op)
        {
            var (i, other) = (op.Instance, 1 - op.Instance);
            if (_hearsRedis[i] == op.Up) return "no change";
            _hearsRedis[i] = op.Up;
            // An instance that cannot hear Redis reads everything from the store, and starts from empty when it hears it again.
            _caches[i].Enabled = op.Up;
            _mayBeStale[i] = false;
            // ...and one that changed anything while cut off tells the other to start over.
            if (op.Up && _changedWhileCut[i] && _hearsRedis[other]) _mayBeStale[other] = false;
            if (op.Up) _changedWhileCut[i] = false;
            return op.Up ? "reconnected" : "cut off";
        }

        // ---- Logins ----

        private async Task<string> LoginAsync(Login op)
        {
            var jar = _browsers[op.Browser];
            var host = Farm.Host(op.Wiki);
            var (cookies, central) = op.Carry switch
            {
                Carry.Cookies => (jar.For(host), jar.For(TestFarm.CentralHost)),
                Carry.NoCookies => (new Dictionary<string, string>(), new Dictionary<string, string>()),
                _ => ((Dictionary<string, string>?)null, (Dictionary<string, string>?)null),
            };
            var named = _model.CentralById(central?.GetValueOrDefault(Farm.CentralCookie));
            var carried = _model.CookieSession(cookies?.GetValueOrDefault($"{op.Wiki}_session"), op.Wiki, Kind.Cookie);
            var carriedToken = _model.TokenOf(op.Wiki, cookies);
            var (services, at) = On(0, changes: true);
            var result = await Engine.LoginAsync(services, op.User, op.Wiki, ProviderKind.Cookie, op.Remember, cookies, central);
            if (!ExpectLogin(result, _model.MayLogIn(op.User, op.Wiki), op.User)) return "refused";
            jar.Apply(result!.SetCookies, _model.Now);

            // The browser's live central session of the same user is reused (a login is activity); otherwise a new one.
            var reuse = named is not null && named.User == op.User && _model.IsAlive(named) ? named : null;
            Central made;
            if (reuse is not null)
            {
                Expect(result.CentralSessionId == reuse.Id, $"The login should reuse the browser's live central session {Short(reuse.Id)}; it answered {Short(result.CentralSessionId)}.");
                reuse.LastActivity = _model.Now;
                made = reuse;
            }
            else
            {
                Expect(result.CentralSessionId is { } id && _model.CentralById(id) is null && CookieSet(result.SetCookies, TestFarm.CentralHost, Farm.CentralCookie) == id,
                    "A login with no live central session of the user must make a new one and set the central cookie to it.");
                made = _model.NewCentral(result.CentralSessionId!, op.User, op.Remember, new BrowserLineage { Unlinked = op.Carry == Carry.NeitherField });
            }
            // The browser is the lineage the login's cookies name: the central cookie, this wiki's session, its token.
            _model.Join(made.Browser, new[] { named, carried?.Central, carriedToken?.Central }.Where(c => c?.User == op.User));
            if (carried is not null) _model.End([carried], [], []);

            var session = _model.NewSession(result.Session.Id, op.Wiki, op.User, Kind.Cookie, "login", op.Remember, central: made);
            Expect(CookieSet(result.SetCookies, host, $"{op.Wiki}_session") == session.Id, "A login must set the session cookie to its session.");
            var token = CookieSet(result.SetCookies, host, $"{op.Wiki}Token");
            Expect(token is not null == op.Remember, op.Remember ? "A remember-me login must set the token cookie." : "A login without remember-me set a token cookie.");
            if (token is not null) _model.NewToken(op.Wiki, token, jar.Get(host, $"{op.Wiki}UserID"), op.User, made);
            return $"{Describe(session)}, {(reuse is null ? "new" : "reused")} central session {Short(made.Id)}{at}";
        }

        private async Task<string> BotLoginAsync(BotLogin op)
        {
            var jar = _bots[op.User];
            var host = Farm.Host(op.Wiki);
            var carried = _model.CookieSession(jar.Get(host, $"{op.Wiki}_BPsession"), op.Wiki, Kind.Bot);
            var (services, _) = On(0, changes: true);
            var result = await Engine.LoginAsync(services, op.User, op.Wiki, ProviderKind.BotPassword, false, jar.For(host), null);
            if (!ExpectLogin(result, _model.MayLogIn(op.User, op.Wiki) && !_model.BotPasswordRevoked[op.User], op.User)) return "refused";
            jar.Apply(result!.SetCookies, _model.Now);
            if (carried is not null) _model.End([carried], [], []);
            var session = _model.NewSession(result.Session.Id, op.Wiki, op.User, Kind.Bot, "bot password", remember: false);
            Expect(CookieSet(result.SetCookies, host, $"{op.Wiki}_BPsession") == session.Id, "A bot login must set the bot session cookie.");
            return Describe(session);
        }

        private async Task<string> OAuthLoginAsync(OAuthLogin op)
        {
            var (services, _) = On(0, changes: true);
            var result = await Engine.LoginAsync(services, op.User, op.Wiki, ProviderKind.OAuth, false, null, null);
            if (!ExpectLogin(result, _model.MayLogIn(op.User, op.Wiki) && !_model.GrantRevoked[op.User], op.User)) return "refused";
            Expect(result!.Authorization is not null, "An OAuth login must return the authorization the tool sends.");
            _authorizations[op.App] = result.Authorization;
            var authorization = _model.Authorizations[op.App] = _model.AuthorizationFor(op.User);
            if (_model.Sessions.FirstOrDefault(s => s.Id == result.Session.Id) is { } again)
            {
                Expect(again.Authorization == authorization && _model.IsAlive(again), $"The OAuth login answered {Describe(again)}, which is not its authorization's live session.");
                _model.Use(again);
                return "again " + Describe(again);
            }
            return Describe(_model.NewSession(result.Session.Id, op.Wiki, op.User, Kind.OAuth, "OAuth", remember: false, authorization: authorization));
        }

        // ---- Requests ----

        private async Task<string> VisitAsync(Visit op)
        {
            var (services, at) = On(op.On, changes: false);
            var jar = _browsers[op.Browser];
            var host = Farm.Host(op.Wiki);
            var cookies = jar.For(host);
            var central = jar.For(TestFarm.CentralHost);
            var expected = _model.ExpectBrowser(op.Wiki, cookies, central);
            var result = await Engine.ResolveAsync(services, op.Wiki, cookies, central, null);
            jar.Apply(result.SetCookies, _model.Now);
            var got = result.Session;

            if (expected.User is not { } user)
            {
                Expect(got is null, $"Every credential in the request is dead, yet the engine answered {Describe(result)}.");
                return "no session" + at;
            }
            Expect(got?.User == Farm.Users[user], $"The model expects {Farm.Short(user)}'s session through the {expected.Via}; the engine answered {Describe(result)}.");
            if (expected.Existing is { } existing)
            {
                Expect(got!.Id == existing.Id, $"The request should get {Describe(existing)} back; the engine answered {Describe(result)}.");
                _model.Use(existing);
                LearnToken(op.Browser, op.Wiki, result, existing);
                return Describe(existing) + at;
            }
            Expect(_model.Sessions.All(s => s.Id != got!.Id) && CookieSet(result.SetCookies, host, $"{op.Wiki}_session") == got!.Id,
                $"The {expected.Via} should make a new session and set its cookie; the engine answered {Describe(result)}.");
            var session = expected.Token is { } token
                ? _model.NewSession(got!.Id, op.Wiki, user, Kind.Cookie, "restored", remember: true, central: token.Central, fromToken: token)
                : _model.NewSession(got!.Id, op.Wiki, user, Kind.Cookie, "auto-login", expected.Central!.Remember, central: expected.Central);
            LearnToken(op.Browser, op.Wiki, result, session);
            return $"new {Describe(session)}{at}";
        }

        /// <summary>A token cookie the model has not seen is a new remember-me token, issued with the session's central session.</summary>
        private void LearnToken(int browser, string wiki, ResolveResult result, Session session)
        {
            if (CookieSet(result.SetCookies, Farm.Host(wiki), $"{wiki}Token") is { } value && _model.TokenByValue(wiki, value) is null)
                _model.NewToken(wiki, value, _browsers[browser].Get(Farm.Host(wiki), $"{wiki}UserID"), session.User, session.Central);
        }

        private async Task<string> BotRequestAsync(BotRequest op)
        {
            var (services, at) = On(op.On, changes: false);
            var jar = _bots[op.User];
            var host = Farm.Host(op.Wiki);
            var session = _model.CookieSession(jar.Get(host, $"{op.Wiki}_BPsession"), op.Wiki, Kind.Bot);
            var result = await Engine.ResolveAsync(services, op.Wiki, jar.For(host), null, null);
            jar.Apply(result.SetCookies, _model.Now);
            if (session is not null && _model.IsAlive(session))
            {
                Expect(result.Session?.Id == session.Id, $"The bot's cookie names {Describe(session)}; the engine answered {Describe(result)}.");
                _model.Use(session);
                return Describe(session) + at;
            }
            Expect(result.Session is null, $"The bot's cookie names {(session is null ? "no session" : Describe(session))}, yet the engine answered {Describe(result)}.");
            return "no session" + at;
        }

        private async Task<string> AppRequestAsync(AppRequest op)
        {
            var (services, at) = On(op.On, changes: false);
            var authorization = _model.Authorizations[op.App];
            var result = await Engine.ResolveAsync(services, op.Wiki, new Dictionary<string, string>(), null, _authorizations[op.App]);
            if (authorization is null || !_model.IsAlive(authorization) || !_model.MayLogIn(authorization.User, op.Wiki))
            {
                Expect(result.Session is null, $"The tool's authorization is ended or not valid on {op.Wiki}, yet the engine answered {Describe(result)}.");
                return "no session" + at;
            }
            Expect(result.Session?.User == Farm.Users[authorization.User], $"The tool's authorization of {Farm.Short(authorization.User)} is alive, yet the engine answered {Describe(result)}.");
            // Its requests find the session the authorization already made on the wiki; if that one ended, a new one.
            if (_model.Minted(op.Wiki, s => s.Authorization == authorization) is { } existing)
            {
                Expect(result.Session!.Id == existing.Id, $"The tool should get {Describe(existing)} back; the engine answered {Describe(result)}.");
                _model.Use(existing);
                return Describe(existing) + at;
            }
            Expect(_model.Sessions.All(s => s.Id != result.Session!.Id), $"The tool's session on {op.Wiki} ended, so it should get a new one; the engine answered {Describe(result)}.");
            return "new " + Describe(_model.NewSession(result.Session!.Id, op.Wiki, authorization.User, Kind.OAuth, "OAuth", remember: false, authorization: authorization)) + at;
        }

        // ---- Logouts ----

        private async Task<string> LogoutAsync(Logout op)
        {
            var (services, at) = On(op.On, changes: true);
            var jar = _browsers[op.Browser];
            var host = Farm.Host(op.Wiki);
            var cookies = jar.For(host);
            var central = jar.For(TestFarm.CentralHost);
            var session = _model.CookieSession(cookies.GetValueOrDefault($"{op.Wiki}_session"), op.Wiki, Kind.Cookie);
            // The browser's remember-me token on this wiki is the one its Token cookie names, whichever user's ID sits
            // beside it: a logout ends what the browser holds, even a token that no longer pairs with its UserID cookie.
            var token = _model.TokenByValue(op.Wiki, cookies.GetValueOrDefault($"{op.Wiki}Token"));
            var named = _model.CentralById(central.GetValueOrDefault(Farm.CentralCookie));

            var result = await Engine.LogoutAsync(services, op.Wiki, cookies, central, op.Scope);
            jar.Apply(result.SetCookies, _model.Now);

            // Whatever the scope: the local session and the browser's remember-me tokens on this wiki (the one its Token
            // cookie names, and those issued with the central sessions its cookies name), with the sessions restored from them.
            var tokens = _model.Tokens.Where(t => t.Wiki == op.Wiki && t.Central is not null && (t.Central == named || t.Central == session?.Central))
                .Append(token).Append(session?.FromToken).OfType<Token>().ToList();
            var restored = _model.Sessions.Where(s => s.FromToken is not null && tokens.Contains(s.FromToken));
            var reached = _model.End([session, .. restored], [], tokens);
            // A token reaches its browser's central session only as a credential, paired with its UserID cookie.
            var centrals = new[] { named, session?.Central, _model.TokenOf(op.Wiki, cookies)?.Central };
            if (op.Scope == LogoutScope.Local)
            {
                // It leaves the browser's central session: while that can log the user back in, the answer says so.
                // Only a central session the browser's cookies still reach can: the token's own one needs its cookie too,
                // and the token just ended.
                if (new[] { named, session?.Central }.OfType<Central>().Any(c => c.User == (session?.User ?? c.User) && _model.IsAlive(c)))
                    Expect(result.Outcome == LogoutOutcome.Partial && !string.IsNullOrWhiteSpace(result.Survives),
                        $"A local logout leaves a live central session: it answers partial and says what survives; it answered {Describe(result)}.");
                return $"{Describe(result)}{at}";
            }

            var unlinked = centrals.OfType<Central>().Any(c => c.Browser.Unlinked);
            var browser = _model.EndBrowsers(centrals, [], []);
            var any = reached.Any || browser.Any;
            if (unlinked && any)
                Expect(result.Outcome == LogoutOutcome.Partial && !string.IsNullOrWhiteSpace(result.Survives),
                    $"The browser holds a login that was sent no cookie fields: its global logout answers partial and says so; it answered {Describe(result)}.");
            else if (any)
                Expect(result.Outcome == LogoutOutcome.Complete && result.Survives is null,
                    $"A global logout ended the whole browser: it answers complete with nothing surviving; it answered {Describe(result)}.");
            else
                Expect(result.Outcome != LogoutOutcome.Complete || result.Survives is null, $"Nothing was alive to end; the logout answered {Describe(result)}.");
            return $"{Describe(result)}{at}";
        }

        // ---- Steward actions ----

        private const string Reason = "Model-based test";

        private async Task<string> RevokeAsync(Revoke op)
        {
            var candidates = _model.Sessions.Where(_model.IsAlive).ToList();
            if (candidates.Count == 0) return "nothing to revoke";
            var session = candidates[op.Pick % candidates.Count];
            var (services, at) = On(op.On, changes: true);
            var hash = session.Kind == Kind.MediaWiki ? await Engine.StoreKeyHashAsync(services, Array.IndexOf(_model.Keys, session)) : Secrets.Sha256(session.Id);
            var handle = await Engine.HandleAsync(_farm, hash);
            var scope = op.Reach == Reach.Browser ? RevokeScope.Browser : RevokeScope.Session;
            var result = await services.GetRequiredService<AdminService>().RevokeSessionAsync(TestFarm.Steward, handle, Reason, scope);

            // What survives, decided before anything ends: a session-scope revoke of a cookie session leaves its browser.
            var browserAlive = _model.BrowserOf(session).Any(_model.IsAlive)
                || _model.Tokens.Any(t => t.Central is not null && _model.BrowserOf(session).Contains(t.Central) && _model.IsAlive(t));
            Reached reached;
            bool? survives;
            switch (session.Kind, op.Reach)
            {
                case (Kind.MediaWiki, _):
                    reached = _model.End([session], [], []);
                    survives = session.Remember;
                    break;
                case (Kind.OAuth, Reach.Browser):
                    reached = _model.EndAuthorizationsOf(session.User);
                    survives = false;
                    break;
                case (Kind.OAuth, Reach.Session):
                    reached = _model.End([session], [], []);
                    survives = true;
                    break;
                case (Kind.Cookie, Reach.Browser):
                    // As for a global logout: a browser with a login that was sent no cookie fields may have held more.
                    survives = session.Central?.Browser.Unlinked == true;
                    reached = _model.EndBrowsers([session.Central], [session], [session.FromToken]);
                    break;
                case (Kind.Cookie, Reach.Session):
                    reached = _model.End([session], [], []);
                    survives = browserAlive;
                    break;
                default: // a bot password session: the bot password is the only way back, through a new explicit login
                    reached = _model.End([session], [], []);
                    survives = null;
                    break;
            }
            ExpectAnswer(result, reached, survives, $"revoking {Describe(session)}");
            return $"revoked {Describe(session)}: {Describe(result)}{at}";
        }

        private async Task<string> StewardAsync(int on, Func<AdminService, Task<ActionResult>> act, Func<Reached> model, Func<int, bool> whose)
        {
            var (services, at) = On(on, changes: true);
            // A remembered MediaWiki session's Token cookie survives unless the wiki's reset command runs; the test farm has none.
            var tokenCookies = _model.HasRememberedStoreSession(whose);
            var result = await act(services.GetRequiredService<AdminService>());
            ExpectAnswer(result, model(), tokenCookies ? true : null, "the action");
            return Describe(result) + at;
        }

        private async Task<string> PreventAsync(Prevent op)
        {
            if (_model.Prevented[op.User]) return "skipped: already prevented";
            var outcome = await StewardAsync(op.On, a => a.PreventUserAsync(TestFarm.Steward, Farm.Users[op.User], Reason),
                () => _model.EndEverythingOf(u => u == op.User), u => u == op.User);
            _model.Prevented[op.User] = _model.GrantRevoked[op.User] = _model.BotPasswordRevoked[op.User] = true;
            _model.Locked[op.User] = false;
            return outcome;
        }

        private async Task<string> LockAsync(Lock op)
        {
            if (_model.Prevented[op.User] || _model.Locked[op.User]) return "skipped: already barred";
            var outcome = await StewardAsync(op.On, a => a.LockUserAsync(TestFarm.Steward, Farm.Users[op.User], Reason),
                () => _model.EndEverythingOf(u => u == op.User), u => u == op.User);
            _model.Locked[op.User] = true;
            return outcome;
        }

        /// <summary>An unlock ends nothing and brings nothing back: the model only lets the user log in again.</summary>
        private async Task<string> UnlockAsync(Unlock op)
        {
            if (!_model.Locked[op.User]) return "skipped: not locked";
            var (services, at) = On(op.On, changes: true);
            var result = await services.GetRequiredService<AdminService>().UnlockUserAsync(TestFarm.Steward, Farm.Users[op.User], Reason);
            Expect(result.Check.Passed, $"The check after the unlock failed: {result.Check.Summary}");
            Expect(result.SessionsEnded + result.CentralSessionsEnded + result.RememberTokensEnded == 0, $"An unlock ends nothing; it said {Describe(result)}.");
            _model.Locked[op.User] = false;
            return Describe(result) + at;
        }

        private async Task<string> RevokeGrantAsync(RevokeGrant op)
        {
            if (_model.GrantRevoked[op.User]) return "skipped: already revoked";
            _model.GrantRevoked[op.User] = true;
            return await StewardAsync(op.On, a => a.RevokeGrantAsync(TestFarm.Steward, Farm.Users[op.User], Farm.Consumer, Reason),
                () => _model.EndAuthorizationsOf(op.User), _ => false);
        }

        private async Task<string> RevokeBotPasswordAsync(RevokeBotPassword op)
        {
            if (_model.BotPasswordRevoked[op.User]) return "skipped: already revoked";
            _model.BotPasswordRevoked[op.User] = true;
            return await StewardAsync(op.On, a => a.RevokeBotPasswordAsync(TestFarm.Steward, Farm.Users[op.User], Farm.AppId, Reason),
                () => _model.End(_model.Sessions.Where(s => s.Kind == Kind.Bot && s.User == op.User), [], []), _ => false);
        }

        /// <summary>The answer counts what was alive and the action reached, says what survives when something does, and its check passes.</summary>
        private void ExpectAnswer(ActionResult result, Reached reached, bool? survives, string what)
        {
            Expect(result.Check.Passed, $"The check after {what} failed: {result.Check.Summary}");
            // The counts are of what was valid just before (docs/api-contract.md).
            var counted = (result.SessionsEnded, result.CentralSessionsEnded, result.RememberTokensEnded);
            Expect(counted == (reached.Sessions, reached.Centrals, reached.Tokens),
                $"After {what} the answer counts {result.SessionsEnded} sessions, {result.CentralSessionsEnded} central sessions and {result.RememberTokensEnded} "
                + $"remember-me tokens ended; the model ended {reached.Sessions}, {reached.Centrals} and {reached.Tokens} that were alive.");
            if (survives is { } some)
                Expect(string.IsNullOrWhiteSpace(result.Survives) != some,
                    some ? $"After {what} something can still log the user back in, but the answer's survives is empty."
                         : $"After {what} nothing can log the user back in, but the answer says it survives: {result.Survives}");
        }

        // ---- The MediaWiki store ----

        private async Task<string> StoreWriteAsync(StoreWrite op)
        {
            var (services, at) = On(op.On, changes: true);
            var current = _model.Keys[op.Key];
            var expires = DateTimeOffset.FromUnixTimeSeconds((_model.Now + (op.Remember ? TimeSpan.FromDays(30) : TimeSpan.FromHours(1))).ToUnixTimeSeconds());
            var body = KaskSession(Farm.Users[op.User], expires, op.Remember, _number);
            var stored = await Engine.StoreWriteAsync(services, op.Key, body);

            // Refused: a prevented user, or a key whose session something ended on purpose (while the store still keeps it).
            if (_model.Prevented[op.User] || _model.Locked[op.User] || current is { EndedAt: { } ended } && _model.Now - ended < Retention)
            {
                Expect(!stored, $"The write should be refused (403): {(current?.EndedAt is not null ? $"{Describe(current)} was ended" : "the user is prevented")}.");
                return "refused" + at;
            }
            if (current is { EndedAt: not null } && !stored) return "refused (the ended session is still kept)" + at;
            Expect(stored, $"The write should be stored; the store refused it.");
            _written[op.Key] = body;
            if (current is not null && _model.IsAlive(current))
            {
                (current.User, current.Remember, current.ExpiresAt, current.LastActivity) = (op.User, op.Remember, expires, _model.Now);
                return "rewritten " + Describe(current) + at;
            }
            var session = _model.Keys[op.Key] = _model.NewSession($"key {op.Key} #{_number}", Farm.MediaWiki, op.User, Kind.MediaWiki, "MediaWiki", op.Remember, expiresAt: expires);
            return "new " + Describe(session) + at;
        }

        private async Task<string> StoreReadAsync(int key, int on)
        {
            var (services, at) = On(on, changes: false);
            var got = await Engine.StoreReadAsync(services, key);
            if (_model.Keys[key] is { } session && _model.IsAlive(session))
            {
                Expect(got is not null && got.AsSpan().SequenceEqual(_written[key]), $"{Describe(session)} is alive: the read should return what was written; it got {(got is null ? "404" : "other bytes")}.");
                return Describe(session) + at;
            }
            Expect(got is null, $"Key {key} holds no live session ({(_model.Keys[key] is { } s ? Describe(s) : "never written")}), yet the read returned it.");
            return "404" + at;
        }

        private async Task<string> StoreDeleteAsync(StoreDelete op)
        {
            // MediaWiki deletes a key at a logout of the session it read; a key it cannot read it does not delete.
            if (_model.Keys[op.Key] is not { } session || !_model.IsAlive(session)) return "skipped: no live session under the key";
            var (services, at) = On(op.On, changes: true);
            await Engine.StoreDeleteAsync(services, op.Key);
            _model.End([session], [], []);
            return "ended " + Describe(session) + at;
        }

        private async Task<string> SweepAsync()
        {
            var (services, at) = On(0, changes: true);
            var result = await services.GetRequiredService<SessionSweeper>().SweepOnceAsync();
            return $"{result.EndedByTime} ended by time, {result.DeletedSessions} sessions and {result.DeletedCentralSessions} central sessions deleted{at}";
        }

        private string Advance(TimeSpan by)
        {
            _farm.Time.Advance(by);
            return $"now {_farm.Time.GetUtcNow() - TestFarm.Start:d\\.hh\\:mm\\:ss} after the start";
        }

        // ---- Expectations ----

        private bool ExpectLogin(LoginResult? result, bool allowed, int user)
        {
            if (!allowed)
            {
                Expect(result is null, $"The login should be refused, but the engine made {Describe(result?.Session)}.");
                return false;
            }
            Expect(result is not null, "The login should succeed, but the engine refused it.");
            Expect(result!.Session.User == Farm.Users[user], $"The login made a session of {result.Session.User}.");
            return true;
        }

        private void Expect(bool condition, string what)
        {
            if (condition) return;
            var story = string.Join("\n", _trace.Append($"{_step}: <-- here"));
            throw new PromiseBroken(what, story, _number);
        }

        private static string? CookieSet(IEnumerable<SetCookie> cookies, string host, string name) =>
            cookies.FirstOrDefault(c => c.Host == host && c.Name == name && c.Value.Length > 0)?.Value;

        private string Describe(Session s) =>
            $"{Farm.Short(s.User)}'s {s.Origin} session {Short(s.Id)} on {s.Wiki}{(s.Remember ? " (remembered)" : "")} ({(_model.IsAlive(s) ? "alive" : "ended")})";

        private static string Describe(WikiSession? s) =>
            s is null ? "no session" : $"{s.User?["Sandbox ".Length..] ?? "anonymous"}'s {s.Provider} session {Short(s.Id)} on {s.Wiki}";

        private static string Describe(ResolveResult r) =>
            r.Session is null ? $"no session ({r.Reason})" : Describe(r.Session) + (r.AutoLogin ? " by auto-login" : "");

        private static string Describe(LogoutResult r) => $"{r.Outcome}, survives: {r.Survives ?? "null"}";

        private static string Describe(ActionResult r) =>
            $"{r.SessionsEnded}/{r.CentralSessionsEnded}/{r.RememberTokensEnded} ended, survives: {r.Survives ?? "null"}, check {(r.Check.Passed ? "passed" : "FAILED")}";

        private static string Short(string? id) => id is null ? "null" : id.Length > 8 ? id[..8] : id;
    }

    /// <summary>A session value as MediaWiki 1.39 writes it, with a data field that tells each write apart.</summary>
    private static byte[] KaskSession(string user, DateTimeOffset expires, bool remember, int write) =>
        Encoding.UTF8.GetBytes("JSON..{\"data\":{\"write\":" + write + "},\"metadata\":" + System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["provider"] = "MediaWiki\\Session\\CookieSessionProvider", ["userId"] = 3, ["userName"] = user, ["userToken"] = "0123456789abcdef0123456789abcdef",
            ["remember"] = remember, ["forceHTTPS"] = false, ["expires"] = expires.ToUnixTimeSeconds(), ["loggedOut"] = 0, ["persisted"] = true,
        }) + "}");

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

    /// <summary>The step number of the final check.</summary>
    private const int Final = int.MaxValue;

    /// <summary>A difference between the engine and the model, at step <c>Step</c> (1-based, or <see cref="Final"/>).</summary>
    private sealed partial class PromiseBroken(string what, string story, int step) : Exception($"{what}\n\nWhat happened (IDs shortened):\n{story}")
    {
        public int Step => step;
        /// <summary>The difference without its IDs and counts, to tell whether a shorter scenario still shows the same one.</summary>
        public string Kind => HexId().Replace(what, "#");

        [System.Text.RegularExpressions.GeneratedRegex("[0-9a-f]{8,}|\\d+")]
        private static partial System.Text.RegularExpressions.Regex HexId();
    }

    // ---- Engine calls: the only place that knows the engine's signatures, all through its public services ----

    private static class Engine
    {
        /// <summary>The login's result, or null when the engine refused it as forbidden.</summary>
        public static async Task<LoginResult?> LoginAsync(IServiceProvider services, int user, string wiki, ProviderKind provider, bool remember,
            IReadOnlyDictionary<string, string>? cookies, IReadOnlyDictionary<string, string>? central)
        {
            try
            {
                return await services.GetRequiredService<SessionService>().LoginAsync(new LoginRequest(wiki, Farm.Users[user], provider, remember,
                    provider == ProviderKind.BotPassword ? Farm.AppId : null, provider == ProviderKind.OAuth ? Farm.Consumer : null,
                    TestFarm.Browser, cookies, central));
            }
            catch (SessionException ex) when (ex.Failure == Failure.Forbidden)
            {
                return null;
            }
        }

        public static Task<ResolveResult> ResolveAsync(IServiceProvider services, string wiki, IReadOnlyDictionary<string, string> cookies,
            IReadOnlyDictionary<string, string>? central, string? authorization) =>
            services.GetRequiredService<SessionService>().ResolveAsync(new ResolveRequest(wiki, cookies, central, authorization, TestFarm.Browser));

        public static Task<LogoutResult> LogoutAsync(IServiceProvider services, string wiki, IReadOnlyDictionary<string, string> cookies,
            IReadOnlyDictionary<string, string> central, LogoutScope scope) =>
            services.GetRequiredService<LogoutService>().LogoutAsync(new LogoutRequest(wiki, cookies, central, scope, TestFarm.Browser));

        /// <summary>A session's handle, as the console lists it, found by the hash of its ID or store key.</summary>
        public static async Task<string> HandleAsync(TestFarm farm, string hash)
        {
            await using var db = farm.Db();
            return await db.Sessions.Where(s => s.IdHash == hash).Select(s => s.Handle).SingleAsync();
        }

        private static async Task<(MediaWikiStore Store, MediaWikiStore.StoreKey Key)> KeyAsync(IServiceProvider services, int key)
        {
            var wiki = (await services.GetRequiredService<FarmDirectory>().FindAsync(Farm.MediaWiki, default))!;
            var store = services.GetRequiredService<MediaWikiStore>();
            return (store, await store.KeyAsync(wiki, Farm.StoreKey(key), default));
        }

        public static async Task<string> StoreKeyHashAsync(IServiceProvider services, int key) => (await KeyAsync(services, key)).Key.Hash;

        /// <summary>True when stored; false when refused as forbidden (403), as MediaWiki would see it.</summary>
        public static async Task<bool> StoreWriteAsync(IServiceProvider services, int key, byte[] body)
        {
            var (store, k) = await KeyAsync(services, key);
            try
            {
                await store.PutAsync(k, body, default);
                return true;
            }
            catch (SessionException ex) when (ex.Failure == Failure.Forbidden)
            {
                return false;
            }
        }

        public static async Task<byte[]?> StoreReadAsync(IServiceProvider services, int key)
        {
            var (store, k) = await KeyAsync(services, key);
            return await store.GetAsync(k, default);
        }

        public static async Task StoreDeleteAsync(IServiceProvider services, int key)
        {
            var (store, k) = await KeyAsync(services, key);
            await store.DeleteAsync(k, default);
        }
    }
}
