using System.Net;
using System.Text.Json;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Api;
using WikiSessions.Dashboard.Components.Replays;

namespace WikiSessions.Dashboard.Farm;

public sealed partial class ReplayRunner
{
    /// <summary>An integration logs out with scope local; the next visit's central auto-login logs the user straight back in.</summary>
    private async Task<ReplayResult> LogoutLogsBackInAsync(Run run, CancellationToken cancellationToken)
    {
        var (user, elsewhere) = UserWithTwoWikis();
        var browser = run.Browser("Mozilla/5.0 (X11; Linux x86_64) Replay/logout-logs-back-in");
        Expect(await browser.LoginAsync(user.Home, user.Name, "cookie", cancellationToken), "Login");
        run.Did($"{user.Name} logged in on {user.Home}");
        var wander = Expect(await browser.VisitAsync(elsewhere, cancellationToken), "Visit");
        run.Did($"{user.Name} visited {elsewhere}: {(wander.AutoLogin ? "logged in there by auto-login" : "no auto-login")}");

        var logout = Expect(await browser.LogoutAsync(user.Home, "local", cancellationToken), "Logout");
        run.Did($"A broken integration on {user.Home} logged out with scope local: trace {logout.TraceId}, outcome {WireNames.Of(logout.Outcome)}");
        var back = Expect(await browser.VisitAsync(user.Home, cancellationToken), "Visit after logout");
        var loggedBackIn = back.AutoLogin && back.Session?.User == user.Name;
        run.Did($"{user.Name} opened {user.Home} again");
        run.Saw(loggedBackIn ? "The central session auto-logged the user straight back in" : $"The user stayed logged out ({back.Reason})");

        var trace = await traces.TraceAsync(logout.TraceId, cancellationToken);
        run.Saw($"Trace {trace.TraceId}: outcome {WireNames.Of(trace.Outcome)}, central session survived: {trace.CentralSessionSurvived}, resurrections: {trace.Resurrections.Count}");
        var expected = loggedBackIn && trace.CentralSessionSurvived && trace.Resurrections.Count > 0;
        return run.Result(LogoutLogsBackIn, expected, expected
            ? $"Logging out on {user.Home} logged {user.Name} straight back in; the resurrection is linked to trace {trace.TraceId}."
            : "The local logout did not produce a flagged resurrection.") with
        {
            TraceId = trace.TraceId,
            TraceOutcome = trace.Outcome,
            CentralSessionSurvived = trace.CentralSessionSurvived,
            LoggedBackIn = loggedBackIn,
            ResurrectionHandles = trace.Resurrections.Select(r => r.SessionHandle).ToList(),
        };
    }

    /// <summary>A steward revokes a browser's session; the browser's next requests, here and on another wiki, must not log it back in.</summary>
    private async Task<ReplayResult> RevokeLogsBackInAsync(Run run, ReplayStart start, CancellationToken cancellationToken)
    {
        var (user, elsewhere) = UserWithTwoWikis();
        var browser = run.Browser("Mozilla/5.0 (X11; Linux x86_64) Replay/revoke-logs-back-in");
        Expect(await browser.LoginAsync(user.Home, user.Name, "cookie", cancellationToken), "Login");
        Expect(await browser.VisitAsync(elsewhere, cancellationToken), "Visit");
        run.Did($"{user.Name} logged in on {user.Home} and was auto-logged in on {elsewhere}");

        // The replay's own browser, by its address and agent: the revoke must reach nobody else's session.
        var handle = (await users.UserAsync(user.Name, cancellationToken)).ActiveSessions
            .Where(s => s.Wiki == user.Home && s.Ip == browser.Client.Ip && s.UserAgent == browser.Client.UserAgent)
            .MaxBy(s => s.LastActivityAt)?.Handle ?? throw new ReplayStepFailed($"No active session of {user.Name} on {user.Home}.");
        var revoke = await admin.RevokeSessionAsync(start.Actor, handle, start.AuditReason, RevokeScope.Browser, cancellationToken);
        run.Did($"{start.Actor.Name} revoked session {handle} (browser scope): {revoke.Detail}");
        run.Saw(revoke.Check.Summary);

        var home = Expect(await browser.VisitAsync(user.Home, cancellationToken), "Visit after the revoke");
        var other = Expect(await browser.VisitAsync(elsewhere, cancellationToken), "Visit elsewhere after the revoke");
        var back = new[] { (user.Home, home), (elsewhere, other) }.Where(v => v.Item2.Session is not null).Select(v => v.Item1).ToList();
        run.Did($"The browser, cookies and all, opened {user.Home} and {elsewhere} again");
        run.Saw(back.Count == 0 ? "No session on either wiki: the revoke held" : $"Logged back in on {string.Join(" and ", back)}");
        var expected = back.Count == 0 && revoke.Check.Passed;
        return run.Result(RevokeLogsBackIn, expected, expected
            ? $"The revoke of {user.Name}'s browser held on {user.Home} and {elsewhere}: no auto-login brought the session back."
            : $"The revoke was undone by the next request on {string.Join(" and ", back)}.") with { LoggedBackIn = back.Count > 0 };
    }

    /// <summary>A remember-me token kept by the browser must not restore a session after the steward invalidated everyone.</summary>
    private async Task<ReplayResult> RememberMeSurvivesInvalidateEveryoneAsync(Run run, ReplayStart start, CancellationToken cancellationToken)
    {
        var user = catalog.RandomUser();
        var browser = run.Browser("Mozilla/5.0 (X11; Linux x86_64) Replay/remember-me-survives-invalidate-everyone");
        Expect(await browser.LoginAsync(user.Home, user.Name, "cookie", cancellationToken, remember: true), "Login");
        var host = browser.Host(user.Home);
        run.Did($"{user.Name} logged in on {user.Home} with remember me");

        // A second browser profile with only the remember-me cookies: the session cookie is long gone.
        var restored = RememberedOnly(run, browser, user.Home, host);
        var before = Expect(await restored.VisitAsync(user.Home, cancellationToken), "Visit with the remember-me cookies");
        run.Saw(before.Session is not null ? "The remember-me cookies restored a session, as they should" : $"The remember-me cookies restored nothing ({before.Reason})");

        var invalidate = await admin.InvalidateEveryoneAsync(start.Actor, start.AuditReason, cancellationToken);
        run.Did($"{start.Actor.Name} invalidated everyone: {invalidate.Detail}");

        var after = Expect(await RememberedOnly(run, browser, user.Home, host).VisitAsync(user.Home, cancellationToken), "Visit after the invalidation");
        run.Saw(after.Session is null ? $"The remember-me cookies no longer restore a session: {after.Reason}" : "The remember-me cookies restored a session after the invalidation");
        var expected = before.Session is not null && after.Session is null && invalidate.Check.Passed;
        return run.Result(RememberMeSurvivesInvalidateEveryone, expected, expected
            ? "Invalidating everyone voided the remember-me token: the cookies that worked before it restore nothing after it."
            : "The remember-me token survived invalidating everyone.") with { LoggedBackIn = after.Session is not null };
    }

    private static SimulatedBrowser RememberedOnly(Run run, SimulatedBrowser from, string wiki, string host)
    {
        var copy = run.Browser("Mozilla/5.0 (X11; Linux x86_64) Replay/remember-me-survives-invalidate-everyone");
        foreach (var name in new[] { wiki + "UserID", wiki + "Token" })
            if (from.Jar.Value(host, name) is { } value) copy.Jar.Put(host, name, value, secure: true, expiresAt: DateTimeOffset.MaxValue);
        return copy;
    }

    /// <summary>Auth cookies holding "deleted", and secure cookies on plain HTTP: ignored, never an error, never a stray deletion.</summary>
    private async Task<ReplayResult> DeletedCookiesAsync(Run run, CancellationToken cancellationToken)
    {
        int fromDeleted = 0, strayClears = 0;
        const int browsers = 10;
        for (var i = 0; i < browsers; i++)
        {
            var wiki = catalog.RandomWiki();
            var browser = run.Browser("Mozilla/5.0 (Windows NT 10.0) Replay/deleted-cookies");
            foreach (var name in new[] { "_session", "UserID", "UserName", "Token" })
                browser.Jar.Put(wiki.Host, wiki.DbName + name, "deleted", secure: true);
            foreach (var name in CookieRules.CentralNames)
                browser.Jar.Put(catalog.CentralHost, name, "deleted", secure: true);
            var page = Expect(await browser.VisitAsync(wiki.DbName, cancellationToken), "Visit with deleted cookies");
            if (page.Session is not null) fromDeleted++;
            strayClears += page.SetCookies.Count(c => c.Value.Length == 0);
            var logout = Expect(await browser.LogoutAsync(wiki.DbName, "global", cancellationToken), "Logout with deleted cookies");
            strayClears += logout.SetCookies.Count(c => c.Value.Length == 0);
        }
        run.Did($"{browsers} browsers on big and small wikis sent every auth cookie with the value 'deleted', then logged out");
        run.Saw($"{fromDeleted} sessions came from 'deleted' cookies; {strayClears} cookies that were never really set were cleared");

        var user = catalog.RandomUser();
        var overTls = run.Browser("Mozilla/5.0 (Macintosh) Replay/deleted-cookies", secure: true);
        var tlsLogin = Expect(await overTls.LoginAsync(user.Home, user.Name, "cookie", cancellationToken), "Login over TLS");
        run.Did($"{user.Name} logged in on {user.Home} over TLS ({tlsLogin.SetCookies.Count(c => c.Secure)} secure cookies), then followed a plain-HTTP link");
        overTls.Client = overTls.Client with { Secure = false };
        var plainVisit = Expect(await overTls.VisitAsync(user.Home, cancellationToken), "Visit over plain HTTP");
        run.Saw(plainVisit.Session is null
            ? $"Over plain HTTP the browser withheld its secure cookies, so the wiki saw no session: {plainVisit.Reason}"
            : "Over plain HTTP the wiki still saw a session");
        var buggy = Expect(await run.Api.ResolveAsync(user.Home,
            new ResolveBody(overTls.Jar.For(overTls.Host(user.Home), overTls: true), overTls.Jar.For(catalog.CentralHost, overTls: true), null, overTls.Client),
            cancellationToken), "Secure cookies sent over plain HTTP");
        run.Did("A broken proxy forwarded the secure cookies over plain HTTP anyway");
        run.Saw($"The service answered normally ({(buggy.Session is null ? "no session" : "the session")}), not with a token error");

        var plain = run.Browser("Mozilla/5.0 (Linux; Android 14) Replay/deleted-cookies", secure: false);
        var plainLogin = Expect(await plain.LoginAsync(user.Home, user.Name, "cookie", cancellationToken), "Login over plain HTTP");
        var secureOverHttp = plainLogin.SetCookies.Count(c => c.Secure);
        run.Did($"{user.Name} logged in over plain HTTP");
        run.Saw($"{secureOverHttp} of {plainLogin.SetCookies.Count} cookies set on that plain-HTTP login had the secure flag");

        var errors = run.Api.Tally.Unexpected();
        var expected = fromDeleted == 0 && strayClears == 0 && secureOverHttp == 0 && errors == 0;
        return run.Result(DeletedCookies, expected, expected
            ? "'deleted' cookies were ignored, nothing unset was cleared, no secure cookie went to plain HTTP, and no request failed."
            : $"Unexpected: {fromDeleted} sessions from 'deleted', {strayClears} stray clears, {secureOverHttp} secure cookies over HTTP, {errors} errors.") with
        {
            SessionsFromDeletedCookies = fromDeleted,
            CookiesClearedThatWereNotSent = strayClears,
            SecureCookiesSetOverPlainHttp = secureOverHttp,
        };
    }

    /// <summary>An app that ignores deletions and expiry keeps sending dead cookies; it must still be able to log in.</summary>
    private async Task<ReplayResult> StaleAppCookiesAsync(Run run, CancellationToken cancellationToken)
    {
        var user = catalog.RandomUser();
        var app = run.Browser("WikipediaApp/2.7.50 (Android 14; Phone) Replay/stale-app-cookies", secure: true,
            new CookieJar(time) { HonoursDeletion = false, HonoursExpiry = false });
        Expect(await app.LoginAsync(user.Home, user.Name, "cookie", cancellationToken, remember: true), "Login");
        Expect(await app.LogoutAsync(user.Home, "global", cancellationToken), "Logout");
        app.Jar.Age(TimeSpan.FromDays(31));
        run.Did($"{user.Name}'s app logged in on {user.Home} (remember me), logged out, ignored the deletions, and its cookies expired a day ago");

        var answered = 0;
        for (var i = 0; i < 3; i++)
        {
            var page = Expect(await app.VisitAsync(user.Home, cancellationToken), "Request with stale cookies");
            if (page.Session is null) answered++;
            if (i == 0) run.Saw($"With the stale cookies: no session, because: {page.Reason}");
        }
        run.Did("The app kept sending the stale cookies on 3 requests");

        var relogin = await app.LoginAsync(user.Home, user.Name, "cookie", cancellationToken, remember: true);
        run.Did("The user logged in again in the app, which still sent its stale cookies with the login");
        var loggedIn = relogin.Succeeded;
        run.Saw(loggedIn ? "The login worked despite the stale cookies" : $"The login failed with {(int)relogin.Status}: {relogin.Title}");
        var after = loggedIn ? Expect(await app.VisitAsync(user.Home, cancellationToken), "Request after the new login") : null;
        var resolves = after?.Session?.Id == relogin.Value?.Session.Id && after?.Session is not null;
        run.Saw(resolves ? "The new session resolves on the next request" : "The new session did not resolve");

        var expected = answered == 3 && loggedIn && resolves && run.Api.Tally.Unexpected() == 0;
        return run.Result(StaleAppCookies, expected, expected
            ? "Stale cookies were refused with a reason, never an error, and the app logged in again."
            : "The app with stale cookies could not get back to a working session.") with
        {
            StaleRequestsAnswered = answered,
            LoggedInDespiteStaleCookies = loggedIn,
            SessionSurvived = resolves,
        };
    }

    /// <summary>Many simultaneous writes of one session's data: one wins, the others get 409, and the session is never lost.</summary>
    private async Task<ReplayResult> ConcurrentWritesAsync(Run run, CancellationToken cancellationToken)
    {
        var user = catalog.RandomUser();
        var writers = _options.ConcurrentWriters;
        var browser = run.Browser("Mozilla/5.0 (Windows NT 10.0) Replay/concurrent-writes");
        var login = Expect(await browser.LoginAsync(user.Home, user.Name, "cookie", cancellationToken), "Login");
        var id = login.Session.Id;
        var start = Expect(await run.Api.GetDataAsync(user.Home, id, cancellationToken), "Read the session data");

        var puts = await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
            run.Api.PutDataAsync(user.Home, id, start.Version, JsonSerializer.SerializeToElement(new { writer = i }), cancellationToken)));
        var wins = puts.Count(p => p.Status == HttpStatusCode.OK);
        var conflicts = puts.Count(p => p.Status == HttpStatusCode.Conflict);
        run.Did($"{writers} requests of {user.Name}'s session on {user.Home} wrote its data at the same moment, all from version {start.Version}");
        run.Saw($"{wins} write won and {conflicts} got 409 with the current version");

        var applied = await Task.WhenAll(Enumerable.Range(0, writers).Select(i => AppendWithRetryAsync(run.Api, user.Home, id, i, writers * 3, cancellationToken)));
        var final = Expect(await run.Api.GetDataAsync(user.Home, id, cancellationToken), "Read the final data");
        var recorded = final.Data.TryGetProperty("writers", out var list) ? list.EnumerateArray().Select(e => e.GetInt32()).Distinct().Count() : 0;
        var lost = writers - recorded;
        run.Did($"Each writer then retried on 409 (read, change, write with the version read) until its write went in");
        run.Saw($"{applied.Count(a => a)} of {writers} retried writes went in; {lost} updates were lost; final version {final.Version}");

        var page = Expect(await browser.VisitAsync(user.Home, cancellationToken), "Visit after the writes");
        var survived = page.Session?.Id == id;
        run.Saw(survived ? "The session is still the same session, with its data" : "The session was lost");

        var expected = wins == 1 && conflicts == writers - 1 && lost == 0 && survived && run.Api.Tally.Unexpected(HttpStatusCode.Conflict) == 0;
        return run.Result(ConcurrentWrites, expected, expected
            ? $"One write of {writers} won, the rest got 409; with retries no update was lost and the session survived."
            : "Concurrent writes lost an update, dropped the session, or failed otherwise.") with
        {
            ConcurrentWins = wins,
            Conflicts = run.Api.Tally[HttpStatusCode.Conflict],
            LostUpdates = lost,
            SessionSurvived = survived,
        };
    }

    private static async Task<bool> AppendWithRetryAsync(FarmApi api, string wiki, string id, int writer, int attempts, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var read = Expect(await api.GetDataAsync(wiki, id, cancellationToken), "Read for retry");
            var list = read.Data.TryGetProperty("writers", out var existing) ? existing.EnumerateArray().Select(e => e.GetInt32()).ToList() : [];
            list.Add(writer);
            var write = await api.PutDataAsync(wiki, id, read.Version, JsonSerializer.SerializeToElement(new { writers = list }), cancellationToken);
            if (write.Status == HttpStatusCode.OK) return true;
            if (write.Status != HttpStatusCode.Conflict) Expect(write, "Retried write");
        }
        return false;
    }

    /// <summary>The store fails for a while: clear 503s that are counted, no silently new session, and recovery without help.</summary>
    private async Task<ReplayResult> StoreOutageAsync(Run run, CancellationToken cancellationToken)
    {
        var user = catalog.RandomUser();
        var browser = run.Browser("Mozilla/5.0 (X11; Linux x86_64) Replay/store-outage");
        var login = Expect(await browser.LoginAsync(user.Home, user.Name, "cookie", cancellationToken), "Login before the outage");
        var failuresBefore = storeHealth.Failures;
        var duration = _options.StoreOutageDuration;
        storeHealth.SimulateOutage(duration);
        run.Did($"{user.Name} logged in on {user.Home}; then the session store went down for {duration}");

        int unavailable = 0, silentlyNew = 0, during = 0;
        string? title = null;
        try
        {
            while (storeHealth.OutageUntil is not null)
            {
                var page = await browser.VisitAsync(user.Home, cancellationToken);
                var newcomer = catalog.RandomUser();
                var other = await run.Browser("Mozilla/5.0 Replay/store-outage").LoginAsync(newcomer.Home, newcomer.Name, "cookie", cancellationToken);
                during += 2;
                foreach (var status in new[] { page.Status, other.Status })
                    if (status == HttpStatusCode.ServiceUnavailable) unavailable++;
                title ??= page.Title ?? other.Title;
                // The bug this replays: a failed load that quietly becomes a new, empty session.
                if (page.Succeeded && page.Value!.Session?.Id != login.Session.Id) silentlyNew++;
                await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
            }
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested) storeHealth.EndOutage();
        }
        run.Did($"During the outage the browser kept visiting and newcomers tried to log in: {during} requests");
        run.Saw($"{unavailable} answered 503: \"{title}\"");

        var recoveryStarted = time.GetTimestamp();
        ApiReply<ResolveResult> after;
        do
        {
            after = await browser.VisitAsync(user.Home, cancellationToken);
            if (after.Succeeded) break;
            await Task.Delay(TimeSpan.FromMilliseconds(250), time, cancellationToken);
        }
        while (time.GetElapsedTime(recoveryStarted) < TimeSpan.FromSeconds(30));
        var recoveredAfter = time.GetElapsedTime(recoveryStarted);
        var survived = after.Value?.Session?.Id == login.Session.Id;
        var counted = storeHealth.Failures - failuresBefore;
        run.Saw($"{counted} store failures were counted; the service answered again {recoveredAfter.TotalMilliseconds:0} ms after the outage ended");
        run.Saw(survived ? "The user's session came back intact" : "The user's session did not come back");

        var expected = unavailable > 0 && counted > 0 && silentlyNew == 0 && survived && run.Api.Tally.Unexpected(HttpStatusCode.ServiceUnavailable) == 0;
        return run.Result(StoreOutage, expected, expected
            ? $"The outage answered {unavailable} requests with a clear 503, counted {counted} failures, made no new session, and recovered by itself."
            : "The outage was not handled cleanly: see the findings.") with
        {
            Unavailable = unavailable,
            UnavailableTitle = title,
            StoreFailuresCounted = counted,
            RecoveredAfter = recoveredAfter,
            SessionSurvived = survived,
        };
    }

    /// <summary>A steward invalidates every session of the farm while heavy traffic goes on: it takes seconds at most, and nothing old resolves.</summary>
    private async Task<ReplayResult> InvalidateEveryoneAsync(Run run, ReplayStart start, CancellationToken cancellationToken)
    {
        var crowd = Enumerable.Range(0, _options.HeavyTrafficBrowsers)
            .Select(_ => (User: catalog.RandomUser(), Browser: run.Browser("Mozilla/5.0 (Windows NT 10.0) Replay/invalidate-everyone")))
            .ToList();
        await Task.WhenAll(crowd.Select(async c => Expect(await c.Browser.LoginAsync(c.User.Home, c.User.Name, "cookie", cancellationToken), "Login")));
        run.Did($"{crowd.Count} editors logged in on their home wikis and started wandering the farm");

        var requests = 0;
        using var stopTraffic = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var traffic = Task.WhenAll(crowd.Select(async c =>
        {
            try
            {
                while (true)
                {
                    await c.Browser.VisitAsync(catalog.RandomWikiOf(c.User), stopTraffic.Token);
                    Interlocked.Increment(ref requests);
                }
            }
            catch (OperationCanceledException) when (stopTraffic.IsCancellationRequested)
            {
            }
        }));
        await WhenAsync(() => Volatile.Read(ref requests) >= crowd.Count * 2, cancellationToken);

        var started = time.GetTimestamp();
        var invalidate = await admin.InvalidateEveryoneAsync(start.Actor, start.AuditReason, cancellationToken);
        var took = time.GetElapsedTime(started);
        run.Did($"{start.Actor.Name} invalidated every session of the farm after {Volatile.Read(ref requests)} requests of traffic");
        run.Saw($"The invalidation ended {invalidate.SessionsEnded} active sessions in {took.TotalMilliseconds:0} ms");

        var atInvalidation = Volatile.Read(ref requests);
        await WhenAsync(() => Volatile.Read(ref requests) >= atInvalidation + crowd.Count, cancellationToken);
        await stopTraffic.CancelAsync();
        await traffic;
        run.Did($"Traffic went on after the invalidation; {Volatile.Read(ref requests)} requests in all");

        var stillResolving = 0;
        foreach (var (user, browser) in crowd)
            if (Expect(await browser.VisitAsync(user.Home, cancellationToken), "Visit after the invalidation").Session is not null) stillResolving++;
        run.Saw($"{stillResolving} of {crowd.Count} browsers still had a session after the invalidation");
        var again = (await Task.WhenAll(crowd.Select(c => c.Browser.LoginAsync(c.User.Home, c.User.Name, "cookie", cancellationToken)))).Count(r => r.Succeeded);
        run.Saw($"{again} of {crowd.Count} logged in again without trouble");

        var expected = stillResolving == 0 && again == crowd.Count && run.Api.Tally.Unexpected() == 0;
        return run.Result(InvalidateEveryone, expected, expected
            ? $"Every session ended in {took.TotalMilliseconds:0} ms during heavy traffic; no old session resolved and everyone could log in again."
            : "Some sessions survived the invalidation, or requests failed: see the findings.") with
        {
            SessionsEnded = invalidate.SessionsEnded,
            InvalidationTook = took,
            RequestsDuringTraffic = Volatile.Read(ref requests),
            SessionsStillResolving = stillResolving,
            LoggedInAgain = again,
        };
    }

    /// <summary>Waits for traffic to reach a point, checking every 50 ms, for 30 seconds at most.</summary>
    private async Task WhenAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (!condition() && time.GetElapsedTime(started) < TimeSpan.FromSeconds(30))
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, cancellationToken);
    }
}
