using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Admin;

/// <summary>A staff member acting through the dashboard or the admin API.</summary>
public sealed record StaffActor(string Name, StaffRole Role);

/// <summary>
/// The stewards' actions. Each needs a steward and a reason, runs in one transaction, writes an audit
/// entry, and publishes what it ended.
/// </summary>
public sealed partial class AdminService(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    MediaWiki.MediaWikiTokenReset tokenReset,
    SessionCache cache,
    CredentialWrites writes,
    TimeProvider time,
    ILogger<AdminService> logger)
{
    public const int MaxReasonLength = 1000;

    /// <summary>
    /// End a session now. <see cref="RevokeScope.Browser"/> ends what the browser holds: the session, its central
    /// session, every session linked to that on every wiki, and its remember-me tokens. <see cref="RevokeScope.Session"/>
    /// ends this session only, and the answer says what can still log the user back in.
    /// </summary>
    public Task<ActionResult> RevokeSessionAsync(StaffActor actor, string handle, string reason, RevokeScope scope = RevokeScope.Browser,
        CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var session = await db.Sessions.AsNoTracking().Include(s => s.User).FirstOrDefaultAsync(s => s.Handle == handle, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
            var ofBrowser = await SessionRecords.BrowserOfAsync(db, session.CentralSessionId, session.RememberTokenId, cancellationToken);
            var centralIds = ofBrowser.CentralIds;
            var browser = scope == RevokeScope.Browser;
            var live = await LiveCentralsAsync(db, centralIds, now, cancellationToken);
            if (session.EndedAt is not null && (!browser || live == 0))
                throw new SessionException(Failure.Conflict, $"Session {handle} already ended ({EndReasons.Describe(session.EndReason ?? EndReason.Idle)}); nothing to revoke.");

            // The wikis whose sessions this ends, named in the notice that tells their servers to drop cached sessions.
            var wikiIds = browser
                ? await db.Sessions.Where(s => s.CentralSessionId != null && centralIds.Contains(s.CentralSessionId.Value) && s.EndedAt == null)
                    .Select(s => s.WikiId).Distinct().ToListAsync(cancellationToken)
                : [];
            var user = Eviction.User(session.UserId);
            var ended = await write.EndAsync(db.Sessions.Where(s => s.Id == session.Id), EndReason.Revoked, actor.Name, now, Eviction.Key(session.IdHash), cancellationToken);
            var (linkedEnded, tokens, centrals) = browser
                ? await SessionRecords.EndBrowsersAsync(write, centralIds, EndReason.Revoked, actor.Name, now, user, cancellationToken)
                : (0, 0, 0);
            // An OAuth tool's way back in is its authorization, not a browser: with scope browser it ends (on every wiki, with
            // the sessions it made there); the grant survives, so a new explicit OAuth login works.
            var grantId = session.OAuthGrantId;
            var authorizationEnded = browser && grantId is not null;
            if (authorizationEnded)
            {
                await db.OAuthGrants.Where(g => g.Id == grantId).ExecuteUpdateAsync(u => u.SetProperty(g => g.AuthorizationGeneration, g => g.AuthorizationGeneration + 1), cancellationToken);
                linkedEnded += await write.EndAsync(db.Sessions.Where(s => s.OAuthGrantId == grantId), EndReason.Revoked, actor.Name, now, user, cancellationToken);
            }
            var liveTokens = browser ? 0 : await LiveTokensAsync(db, centralIds, session.RememberTokenId, now, cancellationToken);
            var wiki = await farm.GetAsync(session.WikiId, cancellationToken);
            db.Events.Add(SessionRecords.Event(SessionEventKind.Ended, now, wiki.Id, session, session.UserId, $"Revoked by {actor.Name} ({WireNames.Of(scope)}): {reason}"));
            var userName = session.User?.Name ?? "the user";
            var survives = session.Origin == SessionOrigin.MediaWiki
                ? session.Remember ? $"MediaWiki on {wiki.DbName} can restore {userName} from the remember-me Token cookie until the user's token is reset there; invalidate the user to reset it." : null
                : grantId is not null && !browser
                ? $"The tool's OAuth authorization is still valid: its next request on {wiki.DbName} gets a new session of {userName}. Revoke with scope 'browser' to end the authorization, or revoke the grant."
                : browser && ofBrowser.Unlinked
                ? $"A login of this browser was not given the browser's cookies, so sessions of {userName} it held before that login are not linked to it and may still be valid; invalidate the user to end every session."
                : browser ? null
                : SessionSurvivors(userName, live, liveTokens);
            var what = authorizationEnded
                ? $"the OAuth authorization of {userName}'s tool (grant {grantId}) on every wiki: {ended + linkedEnded} sessions; the grant survives, a new OAuth login works"
                : browser
                ? $"the browser of {session.User?.Name ?? "an anonymous user"}: {ended + linkedEnded} sessions, {centrals} central sessions and {tokens} remember-me tokens"
                : $"{wiki.DbName} session of {session.User?.Name ?? "an anonymous user"}";
            // Any wiki of a CentralAuth farm writes the central keys: the audit names the last writer of each it ended.
            var writers = browser && session.Origin == SessionOrigin.MediaWiki
                ? await db.Wikis.Where(w => db.Blobs.Any(b => b.WikiId == w.Id && db.CentralSessions.Any(c => centralIds.Contains(c.Id) && c.IdHash == b.KeyHash)))
                    .Select(w => w.DbName).OrderBy(n => n).ToListAsync(cancellationToken)
                : [];
            if (writers.Count > 0) what += $"; its central session's value was last written by {string.Join(", ", writers)}";
            var wikis = new List<string> { wiki.DbName };
            foreach (var id in wikiIds.Where(id => id != wiki.Id)) wikis.Add((await farm.GetAsync(id, cancellationToken)).DbName);
            // A CentralAuth browser: its centralauth_Token cookie would restore the user on every wiki until the global token is reset.
            var centralAuth = browser && session.Origin == SessionOrigin.MediaWiki && session.CentralSessionId is not null && session.UserId is not null;
            return new Outcome("revoke-session", handle, ended + linkedEnded, centrals, tokens, $"Revoked ({WireNames.Of(scope)} scope) {what}", wikis, session.User?.Name, survives,
                q => browser
                    ? new Scope(q.Sessions.Where(s => s.Id == session.Id || (s.CentralSessionId != null && centralIds.Contains(s.CentralSessionId.Value))
                            || (grantId != null && s.OAuthGrantId == grantId)),
                        q.CentralSessions.Where(c => centralIds.Contains(c.Id)),
                        q.RememberTokens.Where(t => t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value)))
                    : new Scope(q.Sessions.Where(s => s.Id == session.Id), q.CentralSessions.Where(c => false), q.RememberTokens.Where(t => false)))
            {
                MediaWikis = centralAuth ? await MediaWikisOfAsync(db, session.UserId!.Value, cancellationToken) : [], CentralAuth = centralAuth,
            };
        }, cancellationToken);

    /// <summary>Reset the user token: every session, central session, remember-me token and OAuth authorization of the user ends.</summary>
    public Task<ActionResult> InvalidateUserAsync(StaffActor actor, string userName, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var user = await FindUserAsync(db, userName, cancellationToken);
            return await EndUserAsync(write, user, "invalidate-user", EndReason.UserInvalidated, actor, now,
                (ended, wikis) => $"User token reset; {ended} sessions ended on {wikis} wikis", cancellationToken);
        }, cancellationToken);

    /// <summary>Permanent: ends every session, revokes bot passwords and OAuth grants, and no provider may make a session for the user again.</summary>
    public Task<ActionResult> PreventUserAsync(StaffActor actor, string userName, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var user = await FindUserAsync(db, userName, cancellationToken);
            if (user is { Prevented: true, LockedAt: null })
                throw new SessionException(Failure.Conflict, $"{user.Name} is already prevented from having sessions.");
            // A locked user may be prevented: the lock becomes permanent.
            (user.Prevented, user.PreventedAt, user.LockedAt) = (true, now, null);
            var bots = await db.BotPasswords.Where(p => p.UserId == user.Id && p.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.RevokedAt, now), cancellationToken);
            var grants = await db.OAuthGrants.Where(g => g.UserId == user.Id && g.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now), cancellationToken);
            return await EndUserAsync(write, user, "prevent-user", EndReason.Prevented, actor, now,
                (ended, wikis) => $"Prevented; {ended} sessions ended on {wikis} wikis; {bots} bot passwords and {grants} OAuth grants revoked", cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Reversible, unlike prevent: ends every session, central session and remember-me token (the user token is reset) and
    /// no provider may make a session for the user until a steward unlocks them. Bot passwords and OAuth grants are kept,
    /// refused while the lock holds.
    /// </summary>
    public Task<ActionResult> LockUserAsync(StaffActor actor, string userName, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var user = await FindUserAsync(db, userName, cancellationToken);
            if (user.Prevented)
                throw new SessionException(Failure.Conflict, user.LockedAt is null
                    ? $"{user.Name} is already prevented from having sessions, for good." : $"{user.Name} is already locked.");
            (user.Prevented, user.PreventedAt, user.LockedAt) = (true, now, now);
            return await EndUserAsync(write, user, "lock-user", EndReason.Locked, actor, now,
                (ended, wikis) => $"Locked; {ended} sessions ended on {wikis} wikis; bot passwords and OAuth grants are kept and refused until an unlock", cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Ends what the store knows of the user (<see cref="EndUserSessionsAsync"/>) as the action <paramref name="action"/>,
    /// whose detail <paramref name="detail"/> words from the sessions ended and the wikis they were on.
    /// </summary>
    private async Task<Outcome> EndUserAsync(CredentialWrite write, GlobalUser user, string action, EndReason reason, StaffActor actor, DateTimeOffset now,
        Func<int, int, string> detail, CancellationToken cancellationToken)
    {
        var db = write.Db;
        var (ended, centrals, tokens, wikis) = await EndUserSessionsAsync(write, user, reason, actor, now, cancellationToken);
        return new Outcome(action, user.Name, ended, centrals, tokens, detail(ended, wikis.Count), wikis, user.Name, null, q => UserScope(q, user.Id))
        {
            MediaWikis = await MediaWikisOfAsync(db, user.Id, cancellationToken), CentralAuth = await CentralAuthUserAsync(db, user.Id, cancellationToken),
        };
    }

    /// <summary>Lifts a lock: the user may log in again. Nothing the lock ended comes back; a new login is needed on every wiki.</summary>
    public Task<ActionResult> UnlockUserAsync(StaffActor actor, string userName, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var user = await FindUserAsync(db, userName, cancellationToken);
            if (user.LockedAt is null)
                throw new SessionException(Failure.Conflict, user.Prevented
                    ? $"{user.Name} is prevented from having sessions, which cannot be undone; only a lock can be lifted." : $"{user.Name} is not locked.");
            (user.Prevented, user.PreventedAt, user.LockedAt) = (false, null, null);
            return new Outcome("unlock-user", user.Name, 0, 0, 0,
                "Unlocked; nothing the lock ended comes back: the user logs in again, and bot passwords and OAuth grants work again", [], user.Name, null,
                q => UserScope(q, user.Id));
        }, cancellationToken);

    /// <summary>Revoke the user's OAuth grant of a consumer: its sessions end on every wiki and its authorizations no longer work.</summary>
    public Task<ActionResult> RevokeGrantAsync(StaffActor actor, string userName, string consumer, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var user = await FindUserAsync(db, userName, cancellationToken);
            var grant = await db.OAuthGrants.FirstOrDefaultAsync(g => g.UserId == user.Id && g.Consumer!.Name == consumer && g.RevokedAt == null, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"{user.Name} has no unrevoked OAuth grant for '{consumer}'.");
            grant.RevokedAt = now;
            var ended = await write.EndAsync(db.Sessions.Where(s => s.OAuthGrantId == grant.Id), EndReason.GrantRevoked, actor.Name, now, Eviction.User(user.Id), cancellationToken);
            return new Outcome("revoke-grant", $"{user.Name}/{consumer}", ended, 0, 0, $"OAuth grant of {consumer} revoked; {ended} sessions ended", [], user.Name, null,
                q => new Scope(q.Sessions.Where(s => s.OAuthGrantId == grant.Id), q.CentralSessions.Where(c => false), q.RememberTokens.Where(t => false)));
        }, cancellationToken);

    /// <summary>Revoke a bot password: its sessions end on every wiki and it can no longer log in.</summary>
    public Task<ActionResult> RevokeBotPasswordAsync(StaffActor actor, string userName, string appId, string reason, CancellationToken cancellationToken = default) =>
        ActAsync(actor, reason, async (write, now) =>
        {
            var db = write.Db;
            var user = await FindUserAsync(db, userName, cancellationToken);
            var bot = await db.BotPasswords.FirstOrDefaultAsync(p => p.UserId == user.Id && p.AppId == appId && p.RevokedAt == null, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"{user.Name} has no unrevoked bot password '{appId}'.");
            bot.RevokedAt = now;
            var ended = await write.EndAsync(db.Sessions.Where(s => s.BotPasswordId == bot.Id), EndReason.GrantRevoked, actor.Name, now, Eviction.User(user.Id), cancellationToken);
            return new Outcome("revoke-bot-password", $"{user.Name}@{appId}", ended, 0, 0, $"Bot password {appId} revoked; {ended} sessions ended", [], user.Name, null,
                q => new Scope(q.Sessions.Where(s => s.BotPasswordId == bot.Id), q.CentralSessions.Where(c => false), q.RememberTokens.Where(t => false)));
        }, cancellationToken);

    /// <summary>
    /// Ends every session in the farm in one statement, whatever their number: the farm epoch moves on and
    /// sessions, central sessions, remember-me tokens and OAuth authorizations of an older epoch no longer work.
    /// The sweeper records their end reason later, in batches.
    /// </summary>
    /// <remarks>
    /// The number reported is of what was open in the epoch just before, read from the store's per-wiki counters rather
    /// than by counting rows: the same few reads at twenty thousand sessions or two million. Open, not valid: a session
    /// idle past its expiry that the sweeper has not yet marked ended is in it, and the answer says so.
    /// </remarks>
    public async Task<ActionResult> InvalidateEveryoneAsync(StaffActor actor, string reason, CancellationToken cancellationToken = default)
    {
        Authorize(actor, reason);
        // Read before the write transaction, so the store's write lock is held for the one statement only.
        OpenInEpoch open;
        IReadOnlyList<MediaWikiTokens> remembered;
        await using (var read = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            open = await AdminReads.OpenInEpochAsync(read, farm, time.GetUtcNow(), cancellationToken);
            remembered = await RememberedOnMediaWikisAsync(read, cancellationToken);
        }
        return await ActAsync(actor, reason, async (write, now) =>
        {
            // Every instance drops everything, the farm state with it, so none answers from the old epoch.
            write.Evicts(Eviction.Everything);
            write.Ended(EndReason.EveryoneInvalidated, open.Sessions);
            await write.Db.Farm.ExecuteUpdateAsync(u => u.SetProperty(f => f.Epoch, f => f.Epoch + 1).SetProperty(f => f.EpochChangedAt, now), cancellationToken);
            // When each epoch began, kept: it tells the sessions this invalidation ended from those time had ended before.
            write.Db.EpochChanges.Add(new EpochChange { Epoch = await write.Db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken), At = now });
            return new Outcome("invalidate-everyone", "farm", open.Sessions, open.Centrals, open.Tokens,
                $"Farm epoch advanced: {open.Sessions} open sessions in the current epoch on {open.Wikis} wikis, {open.Centrals} central sessions " +
                $"and {open.Tokens} remember-me tokens ended",
                [], null, null,
                // The check reads every row that existed before; only those of the current epoch can still be valid, and the
                // store finds them through the epoch index, so it costs the same at twenty thousand sessions or two million.
                q => new Scope(q.Sessions, q.CentralSessions, q.RememberTokens)) { MediaWikiUsers = remembered };
        }, cancellationToken);
    }

    /// <summary>
    /// The users each MediaWiki wiki holds open remembered sessions of: the epoch does not reach their Token cookies, which
    /// live in the wiki's own database. At most <see cref="MaxTokenResets"/> names per wiki, with the count of all.
    /// </summary>
    private static async Task<IReadOnlyList<MediaWikiTokens>> RememberedOnMediaWikisAsync(SessionsDb db, CancellationToken cancellationToken)
    {
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
        var remembered = db.Sessions.Where(s => s.Epoch == epoch && s.EndedAt == null && s.Origin == SessionOrigin.MediaWiki && s.Remember && s.UserId != null);
        var wikis = await remembered.GroupBy(s => s.Wiki!.DbName)
            .Select(g => new { Wiki = g.Key, Users = g.Select(s => s.UserId).Distinct().Count() }).OrderBy(w => w.Wiki).ToListAsync(cancellationToken);
        var tokens = new List<MediaWikiTokens>();
        foreach (var wiki in wikis)
        {
            var names = await remembered.Where(s => s.Wiki!.DbName == wiki.Wiki).Select(s => s.User!.Name).Distinct().OrderBy(n => n)
                .Take(MaxTokenResets).ToListAsync(cancellationToken);
            tokens.Add(new MediaWikiTokens(wiki.Wiki, wiki.Users, names));
        }
        return tokens;
    }

    /// <summary>What an action reaches, as queries: its post-action check counts what of it is still valid.</summary>
    private sealed record Scope(IQueryable<Session> Sessions, IQueryable<CentralSession> Centrals, IQueryable<RememberToken> Tokens);

    private sealed record Outcome(string Action, string Target, int SessionsEnded, int CentralSessionsEnded, int RememberTokensEnded, string Detail,
        IReadOnlyList<string> Wikis, string? User, string? Survives, Func<SessionsDb, Scope> Scope)
    {
        /// <summary>Wikis whose MediaWiki kept sessions of the user here: their remember-me tokens live in MediaWiki.</summary>
        public IReadOnlyList<string> MediaWikis { get; init; } = [];

        /// <summary>For an action on everyone: the users each MediaWiki wiki can restore from its Token cookie.</summary>
        public IReadOnlyList<MediaWikiTokens> MediaWikiUsers { get; init; } = [];

        /// <summary>The user's MediaWiki sessions are CentralAuth's: one reset of the global token, on any wiki, serves the farm.</summary>
        public bool CentralAuth { get; init; }
    }

    /// <summary>Users of a MediaWiki wiki whose Token cookies an action cannot reach from here: <paramref name="Users"/> in all, some named.</summary>
    private sealed record MediaWikiTokens(string Wiki, int Users, IReadOnlyList<string> Names);

    /// <summary>Token resets one action runs at most per wiki: each is a process on the wiki server, run while the steward waits.</summary>
    public const int MaxTokenResets = 50;

    private static Scope UserScope(SessionsDb db, int userId) =>
        new(db.Sessions.Where(s => s.UserId == userId), db.CentralSessions.Where(c => c.UserId == userId), db.RememberTokens.Where(t => t.UserId == userId));

    internal static void Authorize(StaffActor actor, string? reason)
    {
        if (actor.Role != StaffRole.Steward)
            throw new SessionException(Failure.Forbidden, $"Only stewards may change sessions; {actor.Name} is {actor.Role.ToString().ToLowerInvariant()} staff.");
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0)
            throw new SessionException(Failure.Invalid, "A reason is required: say why, for the audit log.");
        if (reason.Length > MaxReasonLength)
            throw new SessionException(Failure.Invalid, $"The reason is limited to {MaxReasonLength} characters.");
    }

    private async Task<ActionResult> ActAsync(StaffActor actor, string reason, Func<CredentialWrite, DateTimeOffset, Task<Outcome>> act, CancellationToken cancellationToken)
    {
        Authorize(actor, reason);
        reason = reason.Trim();

        var now = time.GetUtcNow();
        Outcome outcome;
        Existing before;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var write = await writes.BeginAsync(db, cancellationToken);
            before = await Existing.ReadAsync(db, cancellationToken);
            outcome = await act(write, now);
            db.Audit.Add(new AuditEntry
            {
                At = now, Actor = actor.Name, Action = outcome.Action, Reason = reason, Target = outcome.Target,
                SessionsEnded = outcome.SessionsEnded, Detail = outcome.Detail + (outcome.Survives is null ? "" : " " + outcome.Survives),
            });
            db.Events.Add(SessionRecords.Event(SessionEventKind.AdminAction, now, null, null, null, $"{actor.Name}: {outcome.Action} {outcome.Target}: {reason}"));
            // A steward's action is rare and may reach any session, user or the farm epoch: nothing cached survives it.
            write.Evicts(Eviction.Everything);
            write.Publish(new SessionNotice(SessionEventKind.AdminAction, now, null, outcome.Action == "revoke-session" ? outcome.Target : null,
                outcome.User, null, $"{actor.Name}: {outcome.Action} {outcome.Target} — {outcome.Detail}", EndReason: EndReasonOf(outcome.Action), Wikis: outcome.Wikis));
            await write.CommitAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException ex)
        {
            throw new SessionException(Failure.Conflict, "Someone else changed this user at the same moment; nothing was changed. Reload and try again.", ex);
        }
        catch (Exception ex) when (StoreHealth.IsStoreFailure(ex))
        {
            throw new SessionException(Failure.Unavailable, "The session store is unavailable; nothing was changed. Retry in a moment.", ex);
        }

        logger.LogWarning("{Actor} did {Action} on {Target} ({SessionsEnded} sessions ended) because {Reason}",
            LogText.Quote(actor.Name), outcome.Action, LogText.Quote(outcome.Target, LogText.MaxLength * 2), outcome.SessionsEnded, LogText.Quote(reason, MaxReasonLength));
        var check = await CheckAsync(actor, reason, outcome, before, cancellationToken);
        var survives = outcome.CentralAuth && outcome.User is { } globalUser
            ? await ResetCentralAuthTokenAsync(actor, reason, globalUser, outcome.MediaWikis, cancellationToken)
            : outcome.MediaWikis.Count > 0 && outcome.User is { } userName
            ? await ResetMediaWikiTokensAsync(actor, reason, userName, outcome.MediaWikis, cancellationToken)
            : outcome.MediaWikiUsers.Count > 0 ? await ResetEveryMediaWikiTokenAsync(actor, reason, outcome.MediaWikiUsers, cancellationToken)
            : outcome.Survives;
        return new ActionResult(outcome.Action, outcome.Target, outcome.SessionsEnded, outcome.CentralSessionsEnded, outcome.RememberTokensEnded,
            outcome.Detail, survives, check);
    }

    private static Task<bool> CentralAuthUserAsync(SessionsDb db, int userId, CancellationToken cancellationToken) =>
        db.Sessions.AnyAsync(s => s.UserId == userId && s.Origin == SessionOrigin.MediaWiki && s.CentralSessionId != null, cancellationToken);

    /// <summary>
    /// CentralAuth keeps one token per global user (<c>gu_auth_token</c>), and <c>invalidateUserSessions.php</c> on any wiki
    /// resets it: the first wiki of the user's whose command succeeds ends every centralauth_Token cookie of the user. Says
    /// plainly what survives when no wiki names a command, or every command failed.
    /// </summary>
    private async Task<string?> ResetCentralAuthTokenAsync(StaffActor actor, string reason, string userName, IReadOnlyList<string> wikis, CancellationToken cancellationToken)
    {
        foreach (var wiki in wikis.Where(tokenReset.IsConfigured))
        {
            var (succeeded, outcome) = await tokenReset.ResetAsync(wiki, userName, cancellationToken);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var write = await writes.BeginAsync(db, cancellationToken);
            db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = "reset-mediawiki-token", Reason = reason, Target = userName,
                Detail = $"CentralAuth global token, through {wiki}: {outcome}" });
            if (succeeded && await db.Users.Where(u => u.Name == userName).Select(u => (int?)u.Id).FirstOrDefaultAsync(cancellationToken) is { } userId)
                await MediaWiki.CentralAuthSessions.EndAllAsync(write, userId, actor.Name, time.GetUtcNow(), cancellationToken);
            await write.CommitAsync(cancellationToken);
            if (succeeded) return null;
        }
        return $"CentralAuth's remember-me cookie (centralauth_Token) can restore {userName} on every wiki of the farm until the global token is reset " +
            $"({MediaWiki.ShellText.ResetTokenCommand(userName).Replace("invalidateUserSessions.php", "invalidateUserSessions.php --wiki=<any wiki>", StringComparison.Ordinal)}); " +
            "set MediaWiki:Wikis:<dbname>:ResetTokenCommand on one wiki to do it from here.";
    }

    private static Task<List<string>> MediaWikisOfAsync(SessionsDb db, int userId, CancellationToken cancellationToken) =>
        db.Sessions.Where(s => s.UserId == userId && s.Origin == SessionOrigin.MediaWiki).Select(s => s.Wiki!.DbName).Distinct().ToListAsync(cancellationToken);

    /// <summary>
    /// Resets the user's token on each MediaWiki wiki that names a command for it, each outcome in the audit log; says
    /// plainly where none is named, since MediaWiki's Token cookie can then restore the user there.
    /// </summary>
    private async Task<string?> ResetMediaWikiTokensAsync(StaffActor actor, string reason, string userName, IReadOnlyList<string> wikis, CancellationToken cancellationToken)
    {
        var notReset = new List<string>();
        foreach (var wiki in wikis)
        {
            if (!tokenReset.IsConfigured(wiki))
            {
                notReset.Add(wiki);
                continue;
            }
            var (succeeded, outcome) = await tokenReset.ResetAsync(wiki, userName, cancellationToken);
            if (!succeeded) notReset.Add(wiki);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = "reset-mediawiki-token", Reason = reason, Target = userName, Detail = outcome });
            await db.SaveChangesAsync(cancellationToken);
        }
        return notReset.Count == 0 ? null
            : $"MediaWiki on {string.Join(", ", notReset)} can restore {userName} from a remember-me Token cookie until the user's token is reset there " +
              $"({MediaWiki.ShellText.ResetTokenCommand(userName)}); set MediaWiki:Wikis:<dbname>:ResetTokenCommand to do it from here.";
    }

    /// <summary>
    /// Resets the token of each remembered user on each MediaWiki wiki that names a command for it, each outcome in the
    /// audit log; says per wiki whose Token cookies still restore users, how to end them one by one, and how at once.
    /// </summary>
    private async Task<string?> ResetEveryMediaWikiTokenAsync(StaffActor actor, string reason, IReadOnlyList<MediaWikiTokens> wikis, CancellationToken cancellationToken)
    {
        var survivors = new List<string>();
        var unconfigured = false;
        foreach (var wiki in wikis)
        {
            var notReset = new List<string>();
            foreach (var user in wiki.Names)
            {
                if (!tokenReset.IsConfigured(wiki.Wiki))
                {
                    notReset.Add(user);
                    continue;
                }
                var (succeeded, outcome) = await tokenReset.ResetAsync(wiki.Wiki, user, cancellationToken);
                if (!succeeded) notReset.Add(user);
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = "reset-mediawiki-token", Reason = reason, Target = user, Detail = outcome });
                await db.SaveChangesAsync(cancellationToken);
            }
            var unnamed = wiki.Users - wiki.Names.Count;
            if (notReset.Count == 0 && unnamed == 0) continue;
            var count = notReset.Count + unnamed;
            var shown = notReset.Take(10).ToList();
            var more = count - shown.Count;
            var names = shown.Count == 0 ? "" : $" ({string.Join(", ", shown)}{(more > 0 ? $" and {more} more" : "")})";
            var commands = shown.Select(MediaWiki.ShellText.ResetTokenCommand).ToList();
            if (more > 0) commands.Add("the console lists the wiki's remembered sessions for the others");
            survivors.Add($"MediaWiki on {wiki.Wiki} can restore {count} {(count == 1 ? "user" : "users")}{names} from a remember-me Token cookie " +
                $"until their token is reset there ({string.Join("; ", commands)}).");
            if (!tokenReset.IsConfigured(wiki.Wiki)) unconfigured = true;
        }
        return survivors.Count == 0 ? null
            : string.Join(" ", survivors) + " To end every Token cookie of a wiki at once, change $wgAuthenticationTokenVersion in its LocalSettings.php" +
              (unconfigured ? "; set MediaWiki:Wikis:<dbname>:ResetTokenCommand to reset tokens from here." : ".");
    }

    /// <summary>The highest row IDs when the action began: "what existed before" for the post-action check.</summary>
    private sealed record Existing(long Session, long Central, long Token)
    {
        public static async Task<Existing> ReadAsync(SessionsDb db, CancellationToken cancellationToken) => new(
            await db.Sessions.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0,
            await db.CentralSessions.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0,
            await db.RememberTokens.MaxAsync(t => (long?)t.Id, cancellationToken) ?? 0);
    }

    /// <summary>
    /// Looks at what the action reached and what existed before it as a wiki's next request would: the validity rule over
    /// the store, and the sessions this instance would still answer from memory. Anything still valid is a credential the
    /// action failed to end (a path that ended it without evicting it, a restore that raced the action), so the check can
    /// fail; a failed check is logged and audited.
    /// </summary>
    private async Task<PostCheck> CheckAsync(StaffActor actor, string reason, Outcome outcome, Existing before, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
        var now = time.GetUtcNow();
        var scope = outcome.Scope(db);
        var sessions = await Validity.Active(db, scope.Sessions.Where(s => s.Id <= before.Session), epoch, now).CountAsync(cancellationToken);
        var centrals = await Validity.Active(db, scope.Centrals.Where(c => c.Id <= before.Central), epoch, now).CountAsync(cancellationToken);
        var tokens = await Validity.Active(db, scope.Tokens.Where(t => t.Id <= before.Token), epoch, now).CountAsync(cancellationToken);
        var cached = 0;
        foreach (var chunk in cache.ServedSessionIds().Where(id => id <= before.Session).Chunk(500))
            cached += await scope.Sessions.Where(s => chunk.Contains(s.Id)).CountAsync(cancellationToken);
        if (sessions + centrals + tokens + cached == 0)
            return new PostCheck(true, 0, 0, 0, 0, "Checked: nothing the action reached still yields a session, in the store or in memory.");

        var summary = $"Check failed: {sessions} sessions, {centrals} central sessions and {tokens} remember-me tokens that existed before the action " +
            $"still yield a session in the store, and {cached} sessions are still answered from memory. Run the action again, and report it.";
        logger.LogError("The check after {Action} on {Target} failed: {Summary}", outcome.Action, LogText.Quote(outcome.Target, LogText.MaxLength * 2), summary);
        db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = "check-failed", Reason = reason, Target = outcome.Target, Detail = $"After {outcome.Action}: {summary}" });
        await db.SaveChangesAsync(cancellationToken);
        return new PostCheck(false, sessions, centrals, tokens, cached, summary);
    }

    /// <summary>What a session-scope revoke leaves that can log the user straight back in, in words; null when nothing does.</summary>
    private static string? SessionSurvivors(string userName, int liveCentrals, int liveTokens)
    {
        if (liveCentrals == 0 && liveTokens == 0) return null;
        var parts = new List<string>();
        if (liveCentrals > 0) parts.Add($"The browser's central session is still valid: auto-login can log {userName} back in on any wiki.");
        if (liveTokens > 0)
            parts.Add($"{liveTokens} remember-me token{(liveTokens == 1 ? " of the browser is" : "s of the browser are")} still valid: {(liveTokens == 1 ? "it restores" : "they restore")} {userName} without a login.");
        parts.Add($"Revoke with scope 'browser' to end {(parts.Count > 1 ? "them" : "it")} too.");
        return string.Join(" ", parts);
    }

    /// <summary>The browser's remember-me tokens that can still restore a session: those issued with its central sessions, and the one the session was restored from.</summary>
    private static async Task<int> LiveTokensAsync(SessionsDb db, IReadOnlyCollection<long> centralIds, long? rememberTokenId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (centralIds.Count == 0 && rememberTokenId is null) return 0;
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
        return await Validity.Active(db, db.RememberTokens.Where(t => (t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value)) || t.Id == rememberTokenId), epoch, now)
            .CountAsync(cancellationToken);
    }

    private static async Task<int> LiveCentralsAsync(SessionsDb db, IReadOnlyCollection<long> centralIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (centralIds.Count == 0) return 0;
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
        return await Validity.Active(db, db.CentralSessions.Where(c => centralIds.Contains(c.Id)), epoch, now).CountAsync(cancellationToken);
    }

    /// <summary>Why the action's sessions ended, so listeners (the live hub's wiki notices) need not parse the detail.</summary>
    private static EndReason? EndReasonOf(string action) => action switch
    {
        "revoke-session" => EndReason.Revoked,
        "invalidate-user" => EndReason.UserInvalidated,
        "prevent-user" => EndReason.Prevented,
        "lock-user" => EndReason.Locked,
        "unlock-user" => null,
        "revoke-grant" or "revoke-bot-password" => EndReason.GrantRevoked,
        _ => EndReason.EveryoneInvalidated,
    };

    private static async Task<GlobalUser> FindUserAsync(SessionsDb db, string userName, CancellationToken cancellationToken) =>
        await db.Users.FirstOrDefaultAsync(u => u.Name == userName, cancellationToken)
        ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{userName}'.");

    /// <summary>Resets the user's token (tracked, so a concurrent change of the user is a conflict) and ends what the store knows of.</summary>
    private async Task<(int Ended, int Centrals, int Tokens, IReadOnlyList<string> Wikis)> EndUserSessionsAsync(
        CredentialWrite write, GlobalUser user, EndReason reason, StaffActor actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var db = write.Db;
        var evicts = Eviction.User(user.Id);
        user.Token = Secrets.NewToken();
        user.Version++;
        await db.SaveChangesAsync(cancellationToken);
        var wikiIds = await db.Sessions.Where(s => s.UserId == user.Id && s.EndedAt == null).Select(s => s.WikiId).Distinct().ToListAsync(cancellationToken);
        // The credentials first, then the sessions made from them (see SessionRecords.EndBrowsersAsync).
        var centrals = await write.EndAsync(db.CentralSessions.Where(s => s.UserId == user.Id), reason, now, evicts, cancellationToken);
        var tokens = await write.EndAsync(db.RememberTokens.Where(t => t.UserId == user.Id), reason, now, evicts, cancellationToken);
        var ended = await write.EndAsync(db.Sessions.Where(s => s.UserId == user.Id), reason, actor.Name, now, evicts, cancellationToken);
        var wikis = new List<string>();
        foreach (var id in wikiIds) wikis.Add((await farm.GetAsync(id, cancellationToken)).DbName);
        return (ended, centrals, tokens, wikis);
    }
}

/// <summary>What a steward's action did, what deliberately survives it, and the check that nothing else does.</summary>
public sealed record ActionResult(
    string Action, string Target, int SessionsEnded, int CentralSessionsEnded, int RememberTokensEnded, string Detail, string? Survives, PostCheck Check);

/// <summary>How many credentials that existed before the action still yield a session, by the same rule resolve uses.</summary>
public sealed record PostCheck(bool Passed, int Sessions, int CentralSessions, int RememberTokens, int CachedSessions, string Summary);
