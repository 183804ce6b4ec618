using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Logout and its propagation: the local session, the central session, and every session linked to it on
/// every wiki, each wiki's step written to a trace. The whole fan-out commits or nothing does.
/// </summary>
public sealed class LogoutService(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    IEnumerable<SessionProvider> providers,
    SessionFeed feed,
    StoreHealth storeHealth,
    SessionCache cache,
    WriteGate writes,
    TimeProvider time,
    ILogger<LogoutService> logger)
{
    public async Task<LogoutResult> LogoutAsync(LogoutRequest request, CancellationToken cancellationToken = default)
    {
        var wiki = await farm.FindAsync(request.Wiki, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no wiki named '{request.Wiki}' in the farm.");
        try
        {
            return await LogoutCoreAsync(wiki, request, cancellationToken);
        }
        catch (DbException ex)
        {
            storeHealth.CountFailure(wiki.DbName, ex);
            throw new SessionException(Failure.Unavailable, "The session store is unavailable, so the logout could not be carried out. Nothing was changed; retry in a moment.", ex);
        }
    }

    private async Task<LogoutResult> LogoutCoreAsync(Wiki wiki, LogoutRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var now = time.GetUtcNow();
        var cookies = CookieRules.Usable(request.Cookies);
        var centralCookies = CookieRules.Usable(request.CentralCookies);
        var centralWiki = await farm.CentralAsync(cancellationToken);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var tx = await writes.BeginAsync(db, cancellationToken);

        // The local session: whichever provider's cookie the request carried.
        var hashes = providers.Select(p => p.Claim(wiki, cookies, null)?.SessionId).OfType<string>().Select(Secrets.Sha256).ToList();
        var local = hashes.Count == 0 ? null : await db.Sessions.AsNoTracking()
            .FirstOrDefaultAsync(s => hashes.Contains(s.IdHash) && s.WikiId == wiki.Id, cancellationToken);

        // The browser's central sessions: the one its central cookie names and the one the local session is linked to.
        // They differ when the local session outlived an older central session, and a global logout ends both.
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
        var central = centrals.FirstOrDefault();

        var trace = new LogoutTrace
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            UserId = local?.UserId ?? central?.UserId,
            StartedOnWikiId = wiki.Id,
            Scope = request.Scope,
            StartedAt = now,
            Ip = request.Client.Ip,
            UserAgent = request.Client.UserAgent,
        };

        var localClears = providers.SelectMany(p => p.Unpersist(wiki, cookies, request.Client)).ToList();
        var setCookies = new List<SetCookie>(localClears);
        var stepStart = time.GetTimestamp();
        var localEnded = local is null ? 0 : await SessionRecords.EndAsync(db.Sessions.Where(s => s.Id == local.Id), EndReason.LoggedOut, null, now, cancellationToken);
        // Remember-me on this wiki ends with the logout here, whatever the scope: the token cookie the request carried,
        // and the tokens issued on this wiki with the browser's central sessions.
        var tokenHash = cookies.TryGetValue(CookieSessionProvider.TokenCookie(wiki), out var tokenCookie) ? Secrets.Sha256(tokenCookie.ToLowerInvariant()) : null;
        var tokens = db.RememberTokens.Where(t => t.WikiId == wiki.Id
            && (t.TokenHash == tokenHash || (t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value))));
        // The tokens first: matched through a subquery, the store read every open session of the wiki (enwiki's hundreds of thousands).
        var matched = await tokens.Select(t => new { t.Id, t.UserId }).ToListAsync(cancellationToken);
        var tokenIds = matched.Select(t => t.Id).ToList();
        var tokenUsers = matched.Select(t => t.UserId).ToList();
        if (tokenIds.Count > 0)
            localEnded += await SessionRecords.EndAsync(db.Sessions.Where(s => s.RememberTokenId != null && tokenIds.Contains(s.RememberTokenId.Value)),
                EndReason.LoggedOut, null, now, cancellationToken);
        var tokensEnded = await SessionRecords.EndAsync(tokens, EndReason.LoggedOut, now, cancellationToken);
        var localKind = local is null ? TraceStepKind.NoSession : localEnded >= 1 ? TraceStepKind.Ended : TraceStepKind.AlreadyEnded;
        AddStep(trace, wiki.Id, local is null ? 0 : 1, localEnded, localClears.Select(c => c.Name), localKind,
            (local is null ? "no session on this wiki" : localEnded >= 1 ? "ended" : "already ended") + RememberNote(tokensEnded), now, stepStart);

        var centralAlive = centrals.Any(c => c.EndedAt is null);
        var unlinked = false;
        var endedElsewhere = new List<string>();
        if (request.Scope == LogoutScope.Global && centrals.Count > 0)
        {
            // Every central session the browser held, not only the ones its cookies name now: an older one that idled out
            // still has sessions and remember-me tokens hanging off it.
            var browser = await SessionRecords.BrowserAsync(db, centralIds, cancellationToken);
            var browserIds = browser.CentralIds;
            unlinked = browser.Unlinked;
            var linked = await db.Sessions.AsNoTracking()
                .Where(s => s.CentralSessionId != null && browserIds.Contains(s.CentralSessionId.Value) && s.EndedAt == null && s.WikiId != wiki.Id)
                .Select(s => new { s.Id, s.WikiId })
                .ToListAsync(cancellationToken);
            if (linked.Count > 0)
            {
                // One statement for every other wiki (a statement per wiki was most of a 200-wiki logout), by the IDs just
                // read, so each wiki's step still says exactly what this logout ended there. Anything linked after the read
                // is ended with the central session below.
                stepStart = time.GetTimestamp();
                var ids = linked.Select(s => s.Id).ToList();
                var ended = await SessionRecords.EndAsync(db.Sessions.Where(s => ids.Contains(s.Id)), EndReason.LoggedOutElsewhere, null, now, cancellationToken);
                var endedIds = ended == ids.Count ? ids.ToHashSet()
                    : (await db.Sessions.Where(s => ids.Contains(s.Id) && s.EndedAt == now && s.EndReason == EndReason.LoggedOutElsewhere && s.EndedBy == null)
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
            }

            stepStart = time.GetTimestamp();
            var (restored, otherTokens, centralEnded) = await SessionRecords.EndBrowsersAsync(db, browserIds, EndReason.LoggedOutElsewhere, null, now, cancellationToken);
            var centralClears = CookieRules.Clear(centralWiki.Host, CookieRules.CentralNames, centralCookies, request.Client).ToList();
            setCookies.AddRange(centralClears);
            centralAlive = false;
            AddStep(trace, centralWiki.Id, browserIds.Count, centralEnded + restored, centralClears.Select(c => c.Name),
                centralEnded > 0 ? TraceStepKind.Ended : TraceStepKind.AlreadyEnded,
                (centralEnded > 0 ? $"{centralEnded} central session{(centralEnded == 1 ? "" : "s")} ended" : "central session had already ended")
                + RememberNote(otherTokens)
                + (unlinked ? "; a login of this browser was not given its cookies, so sessions from before it are not linked and not reached" : ""), now, stepStart);
        }
        else if (central is not null)
        {
            AddStep(trace, centralWiki.Id, centrals.Count, 0, [], centralAlive ? TraceStepKind.CentralLeftAlive : TraceStepKind.AlreadyEnded,
                centralAlive ? "central session left alive (local logout): auto-login can log the user back in" : "central session had already ended",
                now, time.GetTimestamp());
            if (centralAlive)
            {
                // Remembered as the logout the central session survived: a session minted from it soon after is a resurrection.
                await db.CentralSessions.Where(s => centralIds.Contains(s.Id) && s.EndedAt == null).ExecuteUpdateAsync(u => u
                    .SetProperty(s => s.SurvivedLogoutTraceId, trace.Id)
                    .SetProperty(s => s.SurvivedLogoutAt, now), cancellationToken);
            }
        }

        trace.CentralSessionSurvived = centralAlive;
        trace.Outcome = local is null && central is null ? LogoutOutcome.NothingToDo
            : centralAlive || unlinked ? LogoutOutcome.Partial
            : LogoutOutcome.Complete;
        trace.FinishedAt = now + time.GetElapsedTime(started);
        db.LogoutTraces.Add(trace);
        db.Events.Add(SessionRecords.Event(SessionEventKind.LogoutTraceFinished, now, wiki.Id, local, trace.UserId,
            $"{WireNames.Of(request.Scope)} logout {WireNames.Of(trace.Outcome)}: {trace.Steps.Sum(s => s.SessionsEnded)} sessions ended on {trace.Steps.Count(s => s.SessionsEnded > 0)} wikis"));
        await db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        // Every session this logout ended is of one of these users: none of them may resolve from memory now.
        foreach (var userId in tokenUsers.Concat(centrals.Select(c => c.UserId)).Append(local?.UserId ?? 0).Distinct()) cache.EvictUser(userId);
        if (local is not null) cache.EvictKey(local.IdHash);

        var userName = trace.UserId is { } uid ? await db.Users.Where(u => u.Id == uid).Select(u => u.Name).FirstOrDefaultAsync(cancellationToken) : null;
        logger.LogDebug("Logout {TraceId} of {User} on {Wiki} ({Scope}): {Outcome}", trace.Id, LogText.Quote(userName), wiki.DbName, request.Scope, trace.Outcome);
        feed.Publish(new SessionNotice(SessionEventKind.LogoutTraceFinished, now, wiki.DbName, local?.Handle, userName, local?.Provider,
            $"{WireNames.Of(request.Scope)} logout: {WireNames.Of(trace.Outcome)}", trace.Id, EndReason.LoggedOut, [wiki.DbName, .. endedElsewhere]));
        return new LogoutResult(trace.Id, trace.Outcome, setCookies, centralAlive
            ? "The browser's central session is still valid: auto-login can log the user back in on any wiki. Log out with scope 'global' to end it."
            : unlinked
            ? "A login of this browser was not given the browser's cookies, so sessions the browser held before it are not linked to it and may still be valid. " +
              "Send the browser's cookies with every login ('cookies' and 'centralCookies'); a steward can invalidate the user to end every session."
            : null);
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
