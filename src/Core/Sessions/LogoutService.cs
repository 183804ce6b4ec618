using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Logout and its propagation: the local session, the central session, and every session linked to it on
/// every wiki, each wiki's step written to a trace. The whole fan-out commits or nothing does. As at login, what is
/// particular to a provider (its session cookie, the cookie provider's remember-me tokens) is the provider's.
/// </summary>
public sealed class LogoutService(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    IEnumerable<SessionProvider> providers,
    StoreHealth storeHealth,
    CredentialWrites writes,
    TimeProvider time,
    ILogger<LogoutService> logger)
{
    public async Task<LogoutResult> LogoutAsync(LogoutRequest request, CancellationToken cancellationToken = default)
    {
        var wiki = await farm.FindAsync(request.Wiki, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no wiki named '{request.Wiki}' in the farm.");
        return await storeHealth.GuardAsync(wiki.DbName, "The session store is unavailable, so the logout could not be carried out. Nothing was changed; retry in a moment.",
            () => LogoutCoreAsync(wiki, request, cancellationToken));
    }

    /// <summary>
    /// Ends what the logout reaches, each credential before the sessions made from it (the central sessions, then the
    /// remember-me tokens, then the sessions): on a store with concurrent writers an auto-login or a restore may commit
    /// between two statements, and then either its claim fails or a later statement ends what it made.
    /// </summary>
    private async Task<LogoutResult> LogoutCoreAsync(Wiki wiki, LogoutRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var cookies = CookieRules.Usable(request.Cookies);
        var centralCookies = CookieRules.Usable(request.CentralCookies);
        var centralWiki = await farm.CentralAsync(cancellationToken);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var write = await writes.BeginAsync(db, cancellationToken);
        var local = await LocalSessionAsync(db, wiki, cookies, cancellationToken);
        var centrals = await NamedCentralsAsync(db, local, centralCookies, cancellationToken);
        var central = centrals.FirstOrDefault();
        var centralIds = centrals.Select(c => c.Id).ToList();
        // A global logout also reaches the browser of the remember-me token the request carries (paired with its UserID
        // cookie), as a login joins it: the browser holds that token, so the lineage it was issued with is the browser's.
        var issuedWith = request.Scope == LogoutScope.Global ? await TokenCentralAsync(db, wiki, cookies, cancellationToken) : null;
        var browserIds = issuedWith is { } tokenCentral && !centralIds.Contains(tokenCentral.Id) ? [.. centralIds, tokenCentral.Id] : centralIds;
        // Every session this logout ends is of one of these users: none of them may resolve from memory after it.
        var users = Eviction.Users([local?.UserId, issuedWith?.UserId, .. centrals.Select(c => (int?)c.UserId)]);
        var trace = new LogoutTrace
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            UserId = local?.UserId ?? central?.UserId ?? issuedWith?.UserId,
            StartedOnWikiId = wiki.Id,
            Scope = request.Scope,
            StartedAt = now,
            Ip = request.Client.Ip,
            UserAgent = request.Client.UserAgent,
        };

        // A global logout ends every central session the browser held first, not only the ones its cookies name now: an
        // older one that idled out still has sessions and remember-me tokens hanging off it.
        var global = request.Scope == LogoutScope.Global && browserIds.Count > 0;
        var browser = global ? await SessionRecords.BrowserAsync(db, browserIds, cancellationToken) : null;
        var centralStart = time.GetTimestamp();
        var centralEnded = browser is null ? 0
            : await write.EndAsync(db.CentralSessions.Where(c => browser.CentralIds.Contains(c.Id)), EndReason.LoggedOutElsewhere, now, users, cancellationToken);
        var centralMs = time.GetElapsedTime(centralStart).TotalMilliseconds;

        var setCookies = await EndLocalAsync(write, wiki, local, centralIds, cookies, request.Client, trace, now, users, cancellationToken);
        var centralAlive = centrals.Any(c => c.EndedAt is null);
        var endedElsewhere = new List<string>();
        if (browser is not null)
        {
            endedElsewhere = await EndElsewhereAsync(write, wiki, browser.CentralIds, trace, now, users, cancellationToken);
            setCookies.AddRange(await EndBrowserAsync(write, centralWiki, browser, centralEnded, centralMs, centralCookies, request.Client, trace, now, users, cancellationToken));
            centralAlive = false;
        }
        else if (central is not null)
        {
            await LeaveCentralAsync(db, centralWiki, centrals, centralAlive, trace, now, cancellationToken);
        }

        var unlinked = browser?.Unlinked ?? false;
        trace.CentralSessionSurvived = centralAlive;
        trace.Outcome = local is null && central is null && browser is null ? LogoutOutcome.NothingToDo
            : centralAlive || unlinked ? LogoutOutcome.Partial
            : LogoutOutcome.Complete;
        trace.FinishedAt = now + time.GetElapsedTime(started);
        db.LogoutTraces.Add(trace);
        db.Events.Add(SessionRecords.Event(SessionEventKind.LogoutTraceFinished, now, wiki.Id, local, trace.UserId,
            $"{WireNames.Of(request.Scope)} logout {WireNames.Of(trace.Outcome)}: {trace.Steps.Sum(s => s.SessionsEnded)} sessions ended on {trace.Steps.Count(s => s.SessionsEnded > 0)} wikis"));
        var userName = trace.UserId is { } uid ? await db.Users.Where(u => u.Id == uid).Select(u => u.Name).FirstOrDefaultAsync(cancellationToken) : null;
        write.Publish(new SessionNotice(SessionEventKind.LogoutTraceFinished, now, wiki.DbName, local?.Handle, userName, local?.Provider,
            $"{WireNames.Of(request.Scope)} logout: {WireNames.Of(trace.Outcome)}", trace.Id, EndReason.LoggedOut, [wiki.DbName, .. endedElsewhere]));
        await write.CommitAsync(cancellationToken);

        logger.LogDebug("Logout {TraceId} of {User} on {Wiki} ({Scope}): {Outcome}", trace.Id, LogText.Quote(userName), wiki.DbName, request.Scope, trace.Outcome);
        return new LogoutResult(trace.Id, trace.Outcome, setCookies, centralAlive
            ? "The browser's central session is still valid: auto-login can log the user back in on any wiki. Log out with scope 'global' to end it."
            : unlinked
            ? "A login of this browser was not given the browser's cookies, so sessions the browser held before it are not linked to it and may still be valid. " +
              "Send the browser's cookies with every login ('cookies' and 'centralCookies'); a steward can invalidate the user to end every session."
            : null);
    }

    /// <summary>The local session: whichever provider's cookie the request carried.</summary>
    private async Task<Session?> LocalSessionAsync(SessionsDb db, Wiki wiki, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken)
    {
        var hashes = providers.Select(p => p.Claim(wiki, cookies, null)?.SessionId).OfType<string>().Select(Secrets.Sha256).ToList();
        return hashes.Count == 0 ? null : await db.Sessions.AsNoTracking()
            .FirstOrDefaultAsync(s => hashes.Contains(s.IdHash) && s.WikiId == wiki.Id, cancellationToken);
    }

    /// <summary>The central session the remember-me token of the request's cookies was issued with, when its UserID cookie pairs with it.</summary>
    private async Task<(long Id, int UserId)?> TokenCentralAsync(SessionsDb db, Wiki wiki, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken)
    {
        foreach (var claim in providers.Select(p => p.Claim(wiki, cookies, null)).OfType<ProviderClaim>())
            if (await CookieSessionProvider.IssuedWithAsync(db, wiki, claim, cancellationToken) is { } issuedWith)
                return issuedWith;
        return null;
    }

    /// <summary>
    /// The browser's central sessions its request names: the one the local session is linked to and the one its central
    /// cookie names. They differ when the local session outlived an older central session, and a global logout ends both.
    /// </summary>
    private static async Task<List<CentralSession>> NamedCentralsAsync(SessionsDb db, Session? local, IReadOnlyDictionary<string, string> centralCookies,
        CancellationToken cancellationToken)
    {
        var centralIds = new List<long>();
        if (local?.CentralSessionId is { } linkedId) centralIds.Add(linkedId);
        if (centralCookies.TryGetValue(CookieRules.CentralSession, out var centralId) && Secrets.IsSessionId(centralId))
        {
            var hash = Secrets.Sha256(centralId.ToLowerInvariant());
            if (await db.CentralSessions.Where(s => s.IdHash == hash).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken) is { } named
                && !centralIds.Contains(named))
                centralIds.Add(named);
        }
        var centrals = await db.CentralSessions.AsNoTracking().Where(s => centralIds.Contains(s.Id)).ToListAsync(cancellationToken);
        return centrals.OrderBy(c => centralIds.IndexOf(c.Id)).ToList();
    }

    /// <summary>
    /// This wiki's step, whatever the scope: each provider ends its credentials of the browser here (the remember-me
    /// tokens) with the sessions made from them, then the local session ends; its cookies are cleared.
    /// </summary>
    private async Task<List<SetCookie>> EndLocalAsync(CredentialWrite write, Wiki wiki, Session? local, IReadOnlyList<long> centralIds,
        IReadOnlyDictionary<string, string> cookies, ClientInfo client, LogoutTrace trace, DateTimeOffset now, Eviction users, CancellationToken cancellationToken)
    {
        var clears = providers.SelectMany(p => p.Unpersist(wiki, cookies, client)).ToList();
        var stepStart = time.GetTimestamp();
        var (tokensEnded, localEnded) = (0, 0);
        foreach (var provider in providers)
        {
            var (tokens, sessions) = await provider.EndOnLogoutAsync(write, wiki, cookies, centralIds, now, cancellationToken);
            (tokensEnded, localEnded) = (tokensEnded + tokens, localEnded + sessions);
        }
        if (local is not null)
            localEnded += await write.EndAsync(write.Db.Sessions.Where(s => s.Id == local.Id), EndReason.LoggedOut, null, now,
                Eviction.Key(local.IdHash), cancellationToken);
        var kind = local is null ? TraceStepKind.NoSession : localEnded >= 1 ? TraceStepKind.Ended : TraceStepKind.AlreadyEnded;
        AddStep(trace, wiki.Id, local is null ? 0 : 1, localEnded, clears.Select(c => c.Name), kind,
            (local is null ? "no session on this wiki" : localEnded >= 1 ? "ended" : "already ended") + RememberNote(tokensEnded), now, stepStart);
        return clears;
    }

    /// <summary>
    /// The sessions linked to the browser's (already ended) central sessions on every other wiki, in one statement (a
    /// statement per wiki was most of a 200-wiki logout), by the IDs just read, so each wiki's step says exactly what this
    /// logout ended there. Anything linked after the read is ended with the rest of the browser.
    /// </summary>
    private async Task<List<string>> EndElsewhereAsync(CredentialWrite write, Wiki wiki, IReadOnlyList<long> browserIds, LogoutTrace trace, DateTimeOffset now,
        Eviction users, CancellationToken cancellationToken)
    {
        var db = write.Db;
        var linked = await db.Sessions.AsNoTracking()
            .Where(s => s.CentralSessionId != null && browserIds.Contains(s.CentralSessionId.Value) && s.EndedAt == null && s.WikiId != wiki.Id)
            .Select(s => new { s.Id, s.WikiId })
            .ToListAsync(cancellationToken);
        var endedElsewhere = new List<string>();
        if (linked.Count == 0) return endedElsewhere;
        var stepStart = time.GetTimestamp();
        var ids = linked.Select(s => s.Id).ToList();
        // The user's history says on which wiki the logout was.
        var by = $"logout on {wiki.DbName}";
        var ended = await write.EndAsync(db.Sessions.Where(s => ids.Contains(s.Id)), EndReason.LoggedOutElsewhere, by, now, users, cancellationToken);
        var endedIds = ended == ids.Count ? ids.ToHashSet()
            : (await db.Sessions.Where(s => ids.Contains(s.Id) && s.EndedAt == now && s.EndReason == EndReason.LoggedOutElsewhere && s.EndedBy == by)
                .Select(s => s.Id).ToListAsync(cancellationToken)).ToHashSet();
        var groups = linked.GroupBy(s => s.WikiId).OrderBy(g => g.Key).ToList();
        // The wikis' steps share the one statement's time.
        var share = time.GetElapsedTime(stepStart).TotalMilliseconds / groups.Count;
        foreach (var group in groups)
        {
            var (found, endedHere) = (group.Count(), group.Count(s => endedIds.Contains(s.Id)));
            endedElsewhere.Add((await farm.GetAsync(group.Key, cancellationToken)).DbName);
            // Other hosts' cookies cannot be cleared from this response; they are cleared on the next visit,
            // when the ended session no longer resolves.
            AddStep(trace, group.Key, found, endedHere, [], endedHere == found ? TraceStepKind.Ended : TraceStepKind.PartlyEnded,
                endedHere == found ? "ended" : "partly ended (others ended concurrently)", now, share);
        }
        return endedElsewhere;
    }

    /// <summary>The central login wiki's step of a global logout: the rest of what hangs off the browser, and its central cookies.</summary>
    private async Task<List<SetCookie>> EndBrowserAsync(CredentialWrite write, Wiki centralWiki, SessionRecords.Browser browser, int centralEnded, double centralMs,
        IReadOnlyDictionary<string, string> centralCookies, ClientInfo client, LogoutTrace trace, DateTimeOffset now, Eviction users, CancellationToken cancellationToken)
    {
        var stepStart = time.GetTimestamp();
        var (restored, otherTokens, centralsAfter) = await SessionRecords.EndBrowsersAsync(write, browser.CentralIds, EndReason.LoggedOutElsewhere, null, now, users, cancellationToken);
        centralEnded += centralsAfter;
        var clears = CookieRules.Clear(centralWiki.Host, CookieRules.CentralNames, centralCookies, client).ToList();
        AddStep(trace, centralWiki.Id, browser.CentralIds.Count, centralEnded + restored, clears.Select(c => c.Name),
            centralEnded > 0 ? TraceStepKind.Ended : TraceStepKind.AlreadyEnded,
            (centralEnded > 0 ? $"{centralEnded} central session{(centralEnded == 1 ? "" : "s")} ended" : "central session had already ended")
            + RememberNote(otherTokens)
            + (browser.Unlinked ? "; a login of this browser was not given its cookies, so sessions from before it are not linked and not reached" : ""),
            now, centralMs + time.GetElapsedTime(stepStart).TotalMilliseconds);
        return clears;
    }

    /// <summary>A local logout leaves the central session, and says so; a session minted from it soon after is a resurrection.</summary>
    private async Task LeaveCentralAsync(SessionsDb db, Wiki centralWiki, List<CentralSession> centrals, bool centralAlive, LogoutTrace trace, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        AddStep(trace, centralWiki.Id, centrals.Count, 0, [], centralAlive ? TraceStepKind.CentralLeftAlive : TraceStepKind.AlreadyEnded,
            centralAlive ? "central session left alive (local logout): auto-login can log the user back in" : "central session had already ended",
            now, time.GetTimestamp());
        if (!centralAlive) return;
        var ids = centrals.Select(c => c.Id).ToList();
        // Remembered as the logout the central session survived: a session minted from it soon after is a resurrection.
        await db.CentralSessions.Where(s => ids.Contains(s.Id) && s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.SurvivedLogoutTraceId, trace.Id)
            .SetProperty(s => s.SurvivedLogoutAt, now), cancellationToken);
    }

    private static string RememberNote(int tokens) =>
        tokens == 0 ? "" : $"; {tokens} remember-me token{(tokens == 1 ? "" : "s")} voided";

    private void AddStep(LogoutTrace trace, int wikiId, int found, int ended, IEnumerable<string> cleared, TraceStepKind kind, string outcome,
        DateTimeOffset at, long startedTimestamp) =>
        AddStep(trace, wikiId, found, ended, cleared, kind, outcome, at, time.GetElapsedTime(startedTimestamp).TotalMilliseconds);

    private static void AddStep(LogoutTrace trace, int wikiId, int found, int ended, IEnumerable<string> cleared, TraceStepKind kind, string outcome,
        DateTimeOffset at, double durationMs) =>
        trace.Steps.Add(new LogoutTraceStep
        {
            TraceId = trace.Id,
            Order = trace.Steps.Count,
            WikiId = wikiId,
            SessionsFound = found,
            SessionsEnded = ended,
            CookiesCleared = string.Join(",", cleared),
            Kind = kind,
            Outcome = outcome,
            At = at,
            DurationMs = durationMs,
        });
}
