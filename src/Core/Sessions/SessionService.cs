using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Login, resolve and session data for wiki servers, with the semantics of MediaWiki's SessionManager and
/// CentralAuth: provider priority, metadata merge, user-token checks, central auto-login.
/// </summary>
public sealed class SessionService(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    IEnumerable<SessionProvider> providers,
    SessionFeed feed,
    StoreHealth storeHealth,
    IOptions<SessionOptions> options,
    TimeProvider time,
    ILogger<SessionService> logger)
{
    private readonly SessionOptions _options = options.Value;
    private readonly IReadOnlyList<SessionProvider> _providers = providers.ToList();

    /// <summary>The wiki has authenticated the user: make the local session, and for cookie logins the central one.</summary>
    public async Task<LoginResult> LoginAsync(LoginRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return await LoginCoreAsync(request, cancellationToken);
        }
        catch (SessionException ex) when (ex.Failure == Failure.Forbidden)
        {
            await RecordRefusalAsync(request, ex.Message, cancellationToken);
            throw;
        }
    }

    /// <summary>
    /// A refused login (prevented user, revoked bot password, closed wiki) is what support staff look for when
    /// "the app won't log me in": it is kept as an event of the user and the wiki, never as a session.
    /// </summary>
    private async Task RecordRefusalAsync(LoginRequest request, string why, CancellationToken cancellationToken)
    {
        try
        {
            var wiki = await farm.FindAsync(request.Wiki, cancellationToken);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var userId = await db.Users.Where(u => u.Name == request.User).Select(u => (int?)u.Id).FirstOrDefaultAsync(cancellationToken);
            var now = time.GetUtcNow();
            db.Events.Add(SessionRecords.Event(SessionEventKind.Refused, now, wiki?.Id, null, userId, $"Login through {Wire(request.Provider)} refused: {why}"));
            await db.SaveChangesAsync(cancellationToken);
            feed.Publish(new SessionNotice(SessionEventKind.Refused, now, request.Wiki, null, request.User, request.Provider, why));
        }
        catch (DbException ex)
        {
            logger.LogWarning(ex, "Could not record a refused login on {Wiki}", request.Wiki);
        }
    }

    private Task<LoginResult> LoginCoreAsync(LoginRequest request, CancellationToken cancellationToken) =>
        GuardStoreAsync(request.Wiki, async () =>
        {
            var wiki = await RequireWikiAsync(request.Wiki, cancellationToken);
            if (wiki.Status == WikiStatus.Closed)
                throw new SessionException(Failure.Forbidden, $"{wiki.DbName} is closed: nobody can log in there.");
            var setting = (await farm.SettingsAsync(wiki.Id, cancellationToken))[request.Provider];
            if (!setting.Enabled)
                throw new SessionException(Failure.Forbidden, $"The {Wire(request.Provider)} provider is disabled on {wiki.DbName}.");

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var tx = await db.Database.BeginTransactionAsync(cancellationToken);
            var now = time.GetUtcNow();
            var state = await db.Farm.AsNoTracking().SingleAsync(cancellationToken);
            var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == request.User, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{request.User}'.");
            if (user.Prevented)
                throw new SessionException(Failure.Forbidden, $"{user.Name} is prevented from having sessions; no provider may log them in.");
            await AttachAsync(db, user, wiki, now, cancellationToken);

            var session = NewSession(wiki, user, request.Provider, SessionOrigin.Login, request.Remember, request.Client, state.Epoch, now);
            string? centralId = null;
            string? authorization = null;
            var cookies = new List<SetCookie>();
            switch (request.Provider)
            {
                case ProviderKind.Cookie:
                    (var central, centralId, var centralCookies) = await CentralForLoginAsync(db, user, state, request, now, cancellationToken);
                    session.CentralSessionId = central.Id;
                    session.Metadata = Metadata.Write(CookieSessionProvider.SavedMetadata(user, central: true));
                    cookies.AddRange(centralCookies);
                    break;
                case ProviderKind.BotPassword:
                    var appId = Require(request.AppId, "A bot password login needs an appId.");
                    var bot = await db.BotPasswords.AsNoTracking()
                        .FirstOrDefaultAsync(p => p.UserId == user.Id && p.AppId == appId && p.RevokedAt == null, cancellationToken)
                        ?? throw new SessionException(Failure.Forbidden, $"{user.Name}@{appId} is not a bot password (it never existed, or it was deleted or revoked).");
                    session.BotPasswordId = bot.Id;
                    session.Metadata = Metadata.Write(new Dictionary<string, string>
                    {
                        ["appId"] = bot.AppId, ["botPasswordId"] = bot.Id.ToString(), ["grants"] = bot.Grants,
                    });
                    break;
                case ProviderKind.OAuth:
                    var consumer = Require(request.Consumer, "An OAuth login needs a consumer.");
                    var grant = await db.OAuthGrants.AsNoTracking().Include(g => g.Consumer)
                        .FirstOrDefaultAsync(g => g.UserId == user.Id && g.Consumer!.Name == consumer && g.RevokedAt == null, cancellationToken)
                        ?? throw new SessionException(Failure.Forbidden, $"{user.Name} has no OAuth grant for the consumer '{consumer}' (never granted, or revoked).");
                    authorization = OAuthSessionProvider.Authorization(state.Secret, grant.Id);
                    var existing = await ActiveOAuthSessionAsync(db, wiki, grant.Id, user, state.Epoch, now, cancellationToken);
                    if (existing is not null)
                    {
                        await tx.CommitAsync(cancellationToken);
                        return new LoginResult(View(existing, wiki, user, OAuthSessionProvider.SessionId(state.Secret, existing), null), null, [], authorization);
                    }
                    session.OAuthGrantId = grant.Id;
                    session.Metadata = Metadata.Write(OAuthSessionProvider.SavedMetadata(grant));
                    break;
            }

            var sessionId = request.Provider == ProviderKind.OAuth ? OAuthSessionProvider.SessionId(state.Secret, session) : Secrets.NewSessionId();
            var provider = ProviderFor(request.Provider);
            cookies.InsertRange(0, provider.Persist(wiki, session, sessionId, user, request.Client, state.Secret));
            await InsertAsync(db, session, sessionId, state.Secret, cookies, cancellationToken);
            // A new login replaces the session the browser still carries for this provider: its old ID must not stay a credential.
            if (provider.Claim(wiki, CookieRules.Usable(request.Cookies), null)?.SessionId is { } carried)
            {
                var carriedHash = Secrets.Sha256(carried);
                await SessionRecords.EndAsync(db.Sessions.Where(s => s.IdHash == carriedHash && s.WikiId == wiki.Id && s.Id != session.Id),
                    EndReason.Replaced, null, now, cancellationToken);
            }
            db.Events.Add(SessionRecords.Event(SessionEventKind.Created, now, wiki.Id, session, user.Id, $"Logged in through {Wire(request.Provider)}"));
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);

            logger.LogDebug("Login of {User} on {Wiki} through {Provider} made session {SessionHandle}", user.Name, wiki.DbName, request.Provider, session.Handle);
            Publish(SessionEventKind.Created, now, wiki, session, user, "Logged in");
            return new LoginResult(View(session, wiki, user, sessionId, centralId), centralId, cookies, authorization);
        });

    /// <summary>Which session does this request belong to? Never creates a session silently: only auto-login, remember-me and OAuth make one.</summary>
    public Task<ResolveResult> ResolveAsync(ResolveRequest request, CancellationToken cancellationToken = default) =>
        GuardStoreAsync(request.Wiki, async () =>
        {
            var wiki = await RequireWikiAsync(request.Wiki, cancellationToken);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var state = await db.Farm.AsNoTracking().SingleAsync(cancellationToken);
            var now = time.GetUtcNow();
            var cookies = CookieRules.Usable(request.Cookies);
            var context = new ResolveContext(db, wiki, state, request, cookies, now);

            var claim = await WinningClaimAsync(wiki, cookies, request.Authorization, cancellationToken);
            if (claim is null)
            {
                return await TryAutoLoginAsync(context, cancellationToken)
                    ?? NoSession(cookies.Count == 0 && request.CentralCookies is null
                        ? $"The request carried no session cookie for {wiki.Host}: the browser may be blocking cookies, or the user is not logged in."
                        : "No session provider recognised the request.");
            }
            var (provider, found) = claim.Value;
            if (found.Invalid is { } invalid)
                return NoSession(invalid, provider.Unpersist(wiki, cookies, request.Client));

            return await LoadClaimedAsync(context, provider, found, cancellationToken);
        });

    /// <summary>The session's data and its version.</summary>
    public Task<SessionData> GetDataAsync(string wikiName, string sessionId, CancellationToken cancellationToken = default) =>
        GuardStoreAsync(wikiName, async () =>
        {
            var (wiki, hash) = await DataTargetAsync(wikiName, sessionId, cancellationToken);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var row = await db.Sessions.AsNoTracking()
                .Where(s => s.IdHash == hash && s.WikiId == wiki.Id)
                .Select(s => new { s.DataVersion, s.Data, s.EndedAt })
                .FirstOrDefaultAsync(cancellationToken);
            if (row is null || row.EndedAt is not null)
                throw new SessionException(Failure.NotFound, row is null ? $"No session with that ID on {wiki.DbName}." : "That session has ended; its data can no longer be read.");
            return new SessionData(row.DataVersion, row.Data);
        });

    /// <summary>
    /// Writes the session's data if nobody wrote since <paramref name="expectedVersion"/>: a compare-and-swap in one
    /// statement, so two writers never lose or corrupt the session, and the slower one gets a version conflict.
    /// </summary>
    public Task<int> PutDataAsync(string wikiName, string sessionId, int expectedVersion, string dataJson, CancellationToken cancellationToken = default) =>
        GuardStoreAsync(wikiName, async () =>
        {
            var (wiki, hash) = await DataTargetAsync(wikiName, sessionId, cancellationToken);
            if (dataJson.Length > _options.MaxDataLength)
                throw new SessionException(Failure.Invalid, $"Session data is limited to {_options.MaxDataLength} characters of JSON.");
            if (!IsJsonObject(dataJson))
                throw new SessionException(Failure.Invalid, "Session data must be a JSON object.");

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var written = await db.Sessions
                .Where(s => s.IdHash == hash && s.WikiId == wiki.Id && s.EndedAt == null && s.DataVersion == expectedVersion)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Data, dataJson).SetProperty(s => s.DataVersion, s => s.DataVersion + 1), cancellationToken);
            if (written == 1) return expectedVersion + 1;

            var current = await db.Sessions.AsNoTracking().Where(s => s.IdHash == hash && s.WikiId == wiki.Id)
                .Select(s => new { s.DataVersion, s.EndedAt }).FirstOrDefaultAsync(cancellationToken);
            if (current is null) throw new SessionException(Failure.NotFound, $"No session with that ID on {wiki.DbName}.");
            if (current.EndedAt is not null) throw new SessionException(Failure.NotFound, "That session has ended; its data can no longer be written.");
            throw new SessionException(Failure.Conflict, $"Someone else wrote this session's data first (version {current.DataVersion}, you expected {expectedVersion}). Read it again and retry.")
            {
                CurrentVersion = current.DataVersion,
            };
        });

    private sealed record ResolveContext(
        SessionsDb Db, Wiki Wiki, FarmState State, ResolveRequest Request, IReadOnlyDictionary<string, string> Cookies, DateTimeOffset Now);

    /// <summary>The highest-priority provider that recognises the request; a tie is an error, never a silent choice.</summary>
    private async Task<(SessionProvider Provider, ProviderClaim Claim)?> WinningClaimAsync(
        Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization, CancellationToken cancellationToken)
    {
        var settings = await farm.SettingsAsync(wiki.Id, cancellationToken);
        var claims = _providers
            .Where(p => settings[p.Kind].Enabled)
            .Select(p => (Provider: p, Claim: p.Claim(wiki, cookies, authorization), settings[p.Kind].Priority))
            .Where(c => c.Claim is not null)
            .OrderByDescending(c => c.Priority)
            .ToList();
        if (claims.Count == 0) return null;
        if (claims.Count > 1 && claims[0].Priority == claims[1].Priority)
        {
            var tied = claims.Where(c => c.Priority == claims[0].Priority).Select(c => Wire(c.Provider.Kind));
            throw new SessionException(Failure.Misconfigured,
                $"The {string.Join(" and ", tied)} providers both recognise this request with priority {claims[0].Priority} on {wiki.DbName}. " +
                "A tie is never settled silently: give the providers different priorities.");
        }
        return (claims[0].Provider, claims[0].Claim!);
    }

    private async Task<ResolveResult> LoadClaimedAsync(ResolveContext c, SessionProvider provider, ProviderClaim claim, CancellationToken cancellationToken)
    {
        Session? session;
        string sessionId;
        if (provider.Kind == ProviderKind.OAuth)
        {
            if (!OAuthSessionProvider.Verify(c.State.Secret, claim))
                return NoSession("The OAuth token was not issued by this farm.");
            var grant = await c.Db.OAuthGrants.AsNoTracking().Include(g => g.Consumer).FirstOrDefaultAsync(g => g.Id == claim.GrantId, cancellationToken);
            var user = grant is null ? null : await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == grant.UserId, cancellationToken);
            if (grant is null || user is null)
                return NoSession("The OAuth grant no longer exists.");
            if (grant.RevokedAt is not null || user.Prevented)
            {
                var why = user.Prevented ? EndReason.Prevented : EndReason.GrantRevoked;
                var ended = await SessionRecords.EndAsync(c.Db.Sessions.Where(s => s.OAuthGrantId == grant.Id && s.WikiId == c.Wiki.Id), why, null, c.Now, cancellationToken);
                if (ended > 0)
                {
                    c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Ended, c.Now, c.Wiki.Id, null, user.Id, $"OAuth session of {grant.Consumer?.Name}: {EndReasons.Describe(why)}"));
                    await c.Db.SaveChangesAsync(cancellationToken);
                }
                return NoSession(user.Prevented ? $"{user.Name} is prevented from having sessions." : $"The OAuth grant of {grant.Consumer?.Name} was revoked.");
            }
            session = await ActiveOAuthSessionAsync(c.Db, c.Wiki, grant.Id, user, c.State.Epoch, c.Now, cancellationToken);
            if (session is null)
                return await CreateOAuthSessionAsync(c, grant, user, cancellationToken);
            sessionId = OAuthSessionProvider.SessionId(c.State.Secret, session);
        }
        else
        {
            sessionId = claim.SessionId ?? "";
            var hash = Secrets.Sha256(sessionId);
            session = claim.SessionId is null ? null : await c.Db.Sessions.AsNoTracking().Include(s => s.User)
                .FirstOrDefaultAsync(s => s.IdHash == hash && s.WikiId == c.Wiki.Id, cancellationToken);
            if (session is not null && session.Provider != provider.Kind) session = null;
        }

        var clear = provider.Unpersist(c.Wiki, c.Cookies, c.Request.Client).ToList();
        if (session is null)
        {
            if (provider.Kind == ProviderKind.Cookie && claim.RememberUserId is not null && claim.RememberToken is not null)
                return await TryRememberMeAsync(c, claim, cancellationToken) ?? NoSession("The remember-me token is no longer valid; the user must log in again.", clear);
            return await TryAutoLoginAsync(c, cancellationToken)
                ?? NoSession("The session cookie names no session on this wiki (it expired and was swept, or never existed); the user must log in again.", clear);
        }
        session.Wiki = c.Wiki;

        if (SessionRecords.Invalidity(session, session.User, c.State.Epoch, c.Now) is { } reason)
        {
            if (session.EndedAt is null) await EndLazilyAsync(c, session, reason, cancellationToken);
            return await TryAutoLoginAsync(c, cancellationToken)
                ?? NoSession($"This session has ended: {EndReasons.Describe(reason)}", clear);
        }

        var saved = Metadata.Parse(session.Metadata);
        var provided = await provider.ProvideMetadataAsync(c.Db, session, c.Cookies, cancellationToken);
        var conflicts = Metadata.Conflicts(saved, provided);
        if (conflicts.Count > 0)
            return await RejectForMetadataAsync(c, session, saved, provided, conflicts, clear, cancellationToken);
        if (provider.Refresh(session, provided) is { } refused)
        {
            await EndLazilyAsync(c, session, refused, cancellationToken);
            return NoSession($"This session has ended: {EndReasons.Describe(refused)}", clear);
        }

        var merged = Metadata.Merge(saved, provided);
        var metadataChanged = merged.Count != saved.Count;
        // Reads do not write: the activity time is refreshed at most once per interval.
        if (metadataChanged || c.Now - session.LastActivityAt >= _options.ActivityWriteInterval)
        {
            var expires = c.Now + Lifetime(session.Remember);
            var json = Metadata.Write(merged);
            await c.Db.Sessions.Where(s => s.Id == session.Id && s.EndedAt == null).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LastActivityAt, c.Now)
                .SetProperty(s => s.ExpiresAt, expires)
                .SetProperty(s => s.Metadata, json), cancellationToken);
            session.LastActivityAt = c.Now;
            session.ExpiresAt = expires;
        }
        return new ResolveResult(View(session, c.Wiki, session.User, sessionId, null), false, [], null);
    }

    private async Task<ResolveResult> RejectForMetadataAsync(
        ResolveContext c, Session session, Dictionary<string, string> saved, Dictionary<string, string> provided,
        IReadOnlyList<string> conflicts, IReadOnlyList<SetCookie> clear, CancellationToken cancellationToken)
    {
        var keys = string.Join(", ", conflicts);
        await using (var tx = await c.Db.Database.BeginTransactionAsync(cancellationToken))
        {
            await SessionRecords.EndAsync(c.Db.Sessions.Where(s => s.Id == session.Id), EndReason.MetadataConflict, null, c.Now, cancellationToken);
            c.Db.MetadataDiffs.Add(new MetadataDiff
            {
                SessionId = session.Id, At = c.Now, Saved = Metadata.Write(saved), Provided = Metadata.Write(provided), ConflictingKeys = string.Join(",", conflicts),
            });
            c.Db.Events.Add(SessionRecords.Event(SessionEventKind.MetadataRejected, c.Now, c.Wiki.Id, session, session.UserId, $"Provided metadata conflicts on {keys}"));
            await c.Db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        logger.LogWarning("Rejected session {SessionHandle} on {Wiki}: metadata conflicts on {Keys}", session.Handle, c.Wiki.DbName, keys);
        Publish(SessionEventKind.MetadataRejected, c.Now, c.Wiki, session, session.User, $"Metadata conflict on {keys}", endReason: EndReason.MetadataConflict);
        return NoSession($"The request is not a valid continuation of the session: its {keys} differ from the saved metadata. The session was ended.", clear);
    }

    private async Task EndLazilyAsync(ResolveContext c, Session session, EndReason reason, CancellationToken cancellationToken)
    {
        var ended = await SessionRecords.EndAsync(c.Db.Sessions.Where(s => s.Id == session.Id), reason, null, c.Now, cancellationToken);
        if (ended == 0) return;
        // OAuth sessions ended by a revoked grant show up for every request of the tool; one event per session is enough.
        c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Ended, c.Now, c.Wiki.Id, session, session.UserId, EndReasons.Describe(reason)));
        await c.Db.SaveChangesAsync(cancellationToken);
        Publish(SessionEventKind.Ended, c.Now, c.Wiki, session, session.User, EndReasons.Describe(reason), endReason: reason);
    }

    /// <summary>CentralAuth's auto-login: a live central session logs the user in on this wiki too.</summary>
    private async Task<ResolveResult?> TryAutoLoginAsync(ResolveContext c, CancellationToken cancellationToken)
    {
        var centralCookies = CookieRules.Usable(c.Request.CentralCookies);
        if (!centralCookies.TryGetValue(CookieRules.CentralSession, out var centralId) || !Secrets.IsSessionId(centralId))
            return null;
        var hash = Secrets.Sha256(centralId.ToLowerInvariant());
        var central = await c.Db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.IdHash == hash, cancellationToken);
        if (central is null) return null;
        var user = await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == central.UserId, cancellationToken);
        if (SessionRecords.Invalidity(central, user, c.State.Epoch, c.Now) is { } reason)
        {
            if (central.EndedAt is null)
                await SessionRecords.EndAsync(c.Db.CentralSessions.Where(s => s.Id == central.Id), reason, c.Now, cancellationToken);
            return null;
        }
        if (c.Wiki.Status == WikiStatus.Closed) return null;
        if (c.Wiki.Status == WikiStatus.Private && !await c.Db.Attachments.AnyAsync(a => a.UserId == user.Id && a.WikiId == c.Wiki.Id, cancellationToken))
            return null;

        await using var tx = await c.Db.Database.BeginTransactionAsync(cancellationToken);
        await AttachAsync(c.Db, user, c.Wiki, c.Now, cancellationToken);
        var session = NewSession(c.Wiki, user, ProviderKind.Cookie, SessionOrigin.AutoLogin, central.Remember, c.Request.Client, c.State.Epoch, c.Now);
        session.CentralSessionId = central.Id;
        session.Metadata = Metadata.Write(CookieSessionProvider.SavedMetadata(user, central: true));
        var sessionId = Secrets.NewSessionId();
        var cookies = ProviderFor(ProviderKind.Cookie).Persist(c.Wiki, session, sessionId, user, c.Request.Client, c.State.Secret).ToList();

        var failedLogout = await FailedLogoutAsync(c, user.Id, cancellationToken);
        session.ResurrectionOfTraceId = failedLogout;

        await InsertAsync(c.Db, session, sessionId, c.State.Secret, cookies, cancellationToken);
        c.Db.Events.Add(SessionRecords.Event(SessionEventKind.AutoLogin, c.Now, c.Wiki.Id, session, user.Id, $"Auto-login from central session {central.Handle}"));
        if (failedLogout is not null)
            c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Resurrection, c.Now, c.Wiki.Id, session, user.Id, $"Auto-login {_options.ResurrectionWindow.TotalMinutes:0} minutes or less after logout {failedLogout}"));
        if (c.Now - central.LastActivityAt >= _options.ActivityWriteInterval)
        {
            var expires = c.Now + Lifetime(central.Remember);
            await c.Db.CentralSessions.Where(s => s.Id == central.Id && s.EndedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.LastActivityAt, c.Now).SetProperty(s => s.ExpiresAt, expires), cancellationToken);
        }
        await c.Db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);

        Publish(SessionEventKind.AutoLogin, c.Now, c.Wiki, session, user, "Auto-login from the central session");
        if (failedLogout is not null) PublishResurrection(c, session, user, failedLogout);
        return new ResolveResult(View(session, c.Wiki, user, sessionId, null), true, cookies, null);
    }

    /// <summary>The logout of this user and browser shortly before, if any: a session made now means that logout did not hold.</summary>
    private async Task<string?> FailedLogoutAsync(ResolveContext c, int userId, CancellationToken cancellationToken)
    {
        var since = c.Now - _options.ResurrectionWindow;
        return await c.Db.LogoutTraces.AsNoTracking()
            .Where(t => t.UserId == userId && t.FinishedAt >= since && t.Ip == c.Request.Client.Ip && t.UserAgent == c.Request.Client.UserAgent)
            .OrderByDescending(t => t.FinishedAt)
            .Select(t => t.Id)
            .FirstOrDefaultAsync(cancellationToken);
    }

    private void PublishResurrection(ResolveContext c, Session session, GlobalUser user, string traceId)
    {
        logger.LogWarning("Resurrection: {User} got session {SessionHandle} on {Wiki} ({Origin}) after logout trace {TraceId}",
            user.Name, session.Handle, c.Wiki.DbName, session.Origin, traceId);
        Publish(SessionEventKind.Resurrection, c.Now, c.Wiki, session, user, "Logged straight back in after a logout", traceId: traceId);
    }

    /// <summary>The cookie provider's "remember me": the user and token cookies alone make a new session while the token matches.</summary>
    private async Task<ResolveResult?> TryRememberMeAsync(ResolveContext c, ProviderClaim claim, CancellationToken cancellationToken)
    {
        if (!int.TryParse(claim.RememberUserId, out var userId)) return null;
        var user = await c.Db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null || user.Prevented || !Secrets.FixedTimeEquals(claim.RememberToken!, CookieSessionProvider.RememberToken(user, c.Wiki)))
            return null;
        var session = NewSession(c.Wiki, user, ProviderKind.Cookie, SessionOrigin.RememberMe, remember: true, c.Request.Client, c.State.Epoch, c.Now);
        session.Metadata = Metadata.Write(CookieSessionProvider.SavedMetadata(user, central: false));
        var sessionId = Secrets.NewSessionId();
        var cookies = ProviderFor(ProviderKind.Cookie).Persist(c.Wiki, session, sessionId, user, c.Request.Client, c.State.Secret).ToList();
        // A browser that kept the token cookie after logging out (it ignored the deletion) is back in: flag it too.
        session.ResurrectionOfTraceId = await FailedLogoutAsync(c, user.Id, cancellationToken);
        await InsertAsync(c.Db, session, sessionId, c.State.Secret, cookies, cancellationToken);
        c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Created, c.Now, c.Wiki.Id, session, user.Id, "Restored from the remember-me token"));
        if (session.ResurrectionOfTraceId is { } traceId)
            c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Resurrection, c.Now, c.Wiki.Id, session, user.Id, $"Remember-me restore after logout {traceId}"));
        await c.Db.SaveChangesAsync(cancellationToken);
        Publish(SessionEventKind.Created, c.Now, c.Wiki, session, user, "Restored from the remember-me token");
        if (session.ResurrectionOfTraceId is { } failed) PublishResurrection(c, session, user, failed);
        return new ResolveResult(View(session, c.Wiki, user, sessionId, null), false, cookies, null);
    }

    private async Task<ResolveResult> CreateOAuthSessionAsync(ResolveContext c, OAuthGrant grant, GlobalUser user, CancellationToken cancellationToken)
    {
        var session = NewSession(c.Wiki, user, ProviderKind.OAuth, SessionOrigin.OAuthRequest, remember: false, c.Request.Client, c.State.Epoch, c.Now);
        session.OAuthGrantId = grant.Id;
        session.Metadata = Metadata.Write(OAuthSessionProvider.SavedMetadata(grant));
        var sessionId = OAuthSessionProvider.SessionId(c.State.Secret, session);
        await InsertAsync(c.Db, session, sessionId, c.State.Secret, [], cancellationToken);
        c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Created, c.Now, c.Wiki.Id, session, user.Id, $"OAuth request of {grant.Consumer?.Name}"));
        await c.Db.SaveChangesAsync(cancellationToken);
        Publish(SessionEventKind.Created, c.Now, c.Wiki, session, user, $"OAuth request of {grant.Consumer?.Name}");
        return new ResolveResult(View(session, c.Wiki, user, sessionId, null), false, [], null);
    }

    private static async Task<Session?> ActiveOAuthSessionAsync(
        SessionsDb db, Wiki wiki, int grantId, GlobalUser user, long epoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var session = await db.Sessions.AsNoTracking()
            .Where(s => s.OAuthGrantId == grantId && s.WikiId == wiki.Id && s.EndedAt == null && s.Epoch == epoch && s.UserToken == user.Token && s.ExpiresAt > now)
            .OrderByDescending(s => s.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (session is not null) session.User = user;
        return session;
    }

    /// <summary>Reuse the browser's live central session of the same user, or make a new one.</summary>
    private async Task<(CentralSession Central, string? CentralId, IEnumerable<SetCookie> Cookies)> CentralForLoginAsync(
        SessionsDb db, GlobalUser user, FarmState state, LoginRequest request, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var centralWiki = await farm.CentralAsync(cancellationToken);
        var carried = CookieRules.Usable(request.CentralCookies);
        if (carried.TryGetValue(CookieRules.CentralSession, out var carriedId) && Secrets.IsSessionId(carriedId))
        {
            var hash = Secrets.Sha256(carriedId.ToLowerInvariant());
            var existing = await db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.IdHash == hash && s.UserId == user.Id, cancellationToken);
            if (existing is not null && SessionRecords.Invalidity(existing, user, state.Epoch, now) is null)
                return (existing, carriedId.ToLowerInvariant(), []);
        }

        var id = Secrets.NewSessionId();
        var central = new CentralSession
        {
            IdHash = Secrets.Sha256(id), Handle = Secrets.Handle(state.Secret, id), UserId = user.Id,
            CreatedAt = now, LastActivityAt = now, ExpiresAt = now + Lifetime(request.Remember), Remember = request.Remember,
            Ip = request.Client.Ip, UserAgent = request.Client.UserAgent, UserToken = user.Token, Epoch = state.Epoch,
        };
        db.CentralSessions.Add(central);
        await db.SaveChangesAsync(cancellationToken);

        DateTimeOffset? expires = request.Remember ? central.ExpiresAt : null;
        var cookies = new List<SetCookie>
        {
            CookieRules.Set(centralWiki.Host, CookieRules.CentralSession, id, expires, request.Client),
            CookieRules.Set(centralWiki.Host, CookieRules.CentralUser, user.Name, expires, request.Client),
        };
        return (central, id, cookies);
    }

    private static async Task AttachAsync(SessionsDb db, GlobalUser user, Wiki wiki, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await db.Attachments.AnyAsync(a => a.UserId == user.Id && a.WikiId == wiki.Id, cancellationToken)) return;
        if (wiki.Status == WikiStatus.Private)
            throw new SessionException(Failure.Forbidden, $"{wiki.DbName} is private and {user.Name} is not a member.");
        db.Attachments.Add(new UserAttachment { UserId = user.Id, WikiId = wiki.Id, AttachedAt = now });
    }

    private Session NewSession(Wiki wiki, GlobalUser user, ProviderKind provider, SessionOrigin origin, bool remember, ClientInfo client, long epoch, DateTimeOffset now) => new()
    {
        IdHash = "", Handle = "", WikiId = wiki.Id, UserId = user.Id, User = null, Provider = provider, Origin = origin,
        CreatedAt = now, LastActivityAt = now, ExpiresAt = now + Lifetime(remember), Remember = remember,
        Ip = client.Ip, IpKey = IpKeys.Key(client.Ip), UserAgent = client.UserAgent, UserToken = user.Token, Epoch = epoch,
    };

    private static async Task InsertAsync(SessionsDb db, Session session, string sessionId, string secret, IEnumerable<SetCookie> cookies, CancellationToken cancellationToken)
    {
        session.IdHash = Secrets.Sha256(sessionId);
        session.Handle = Secrets.Handle(secret, sessionId);
        session.CookiesSet = string.Join(",", cookies.Select(k => k.Name));
        db.Sessions.Add(session);
        // Saved now so that events can reference the session's key.
        await db.SaveChangesAsync(cancellationToken);
    }

    private TimeSpan Lifetime(bool remember) => remember ? _options.RememberDuration : _options.IdleTimeout;

    private SessionProvider ProviderFor(ProviderKind kind) => _providers.First(p => p.Kind == kind);

    private static WikiSession View(Session s, Wiki wiki, GlobalUser? user, string id, string? centralId) =>
        new(id, wiki.DbName, user?.Name, Wire(s.Provider), centralId, s.CreatedAt, s.LastActivityAt, s.ExpiresAt, s.Remember);

    private static ResolveResult NoSession(string reason, IEnumerable<SetCookie>? clear = null) => new(null, false, clear?.ToList() ?? [], reason);

    /// <summary>The provider's name as the API spells it.</summary>
    public static string Wire(ProviderKind kind) => kind switch
    {
        ProviderKind.Cookie => "cookie",
        ProviderKind.BotPassword => "botpassword",
        _ => "oauth",
    };

    private async Task<Wiki> RequireWikiAsync(string name, CancellationToken cancellationToken) =>
        await farm.FindAsync(name, cancellationToken) ?? throw new SessionException(Failure.NotFound, $"There is no wiki named '{name}' in the farm.");

    private async Task<(Wiki Wiki, string Hash)> DataTargetAsync(string wikiName, string sessionId, CancellationToken cancellationToken)
    {
        var wiki = await RequireWikiAsync(wikiName, cancellationToken);
        if (!Secrets.IsSessionId(sessionId))
            throw new SessionException(Failure.Invalid, "A session ID is exactly 32 hexadecimal digits.");
        return (wiki, Secrets.Sha256(sessionId.ToLowerInvariant()));
    }

    private static string Require(string? value, string title) =>
        string.IsNullOrWhiteSpace(value) ? throw new SessionException(Failure.Invalid, title) : value;

    private static bool IsJsonObject(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return doc.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private void Publish(SessionEventKind kind, DateTimeOffset at, Wiki wiki, Session session, GlobalUser? user, string detail,
        string? traceId = null, EndReason? endReason = null) =>
        feed.Publish(new SessionNotice(kind, at, wiki.DbName, session.Handle, user?.Name, session.Provider, detail, traceId, endReason));

    /// <summary>
    /// A store failure becomes a clear, counted error: never a crash, never a silently new session
    /// ("Can neither load the session nor create an empty session", T124126).
    /// </summary>
    private async Task<T> GuardStoreAsync<T>(string wiki, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ex is DbException or DbUpdateException && ex is not DbUpdateConcurrencyException || ex is TimeoutException)
        {
            storeHealth.CountFailure(wiki);
            logger.LogError(ex, "Session store failure on {Wiki}", wiki);
            feed.Publish(new SessionNotice(SessionEventKind.StoreFailure, time.GetUtcNow(), wiki, null, null, null, "The session store failed"));
            throw new SessionException(Failure.Unavailable,
                "The session store is unavailable, so the session could neither be loaded nor created. Nothing was changed; retry in a moment.", ex);
        }
    }
}
