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
            string? rememberToken = null;
            var cookies = new List<SetCookie>();
            switch (request.Provider)
            {
                case ProviderKind.Cookie:
                    (var central, centralId, var centralCookies) = await CentralForLoginAsync(db, user, state, request, now, cancellationToken);
                    session.CentralSessionId = central.Id;
                    session.Metadata = Metadata.Write(CookieSessionProvider.SavedMetadata(user, central: true));
                    cookies.AddRange(centralCookies);
                    if (request.Remember) rememberToken = IssueRememberToken(db, user, wiki, central, state, now);
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
                    authorization = OAuthSessionProvider.Authorization(state.Secret, grant.Id, user.Token, state.Epoch);
                    var (existing, latest) = await OAuthSessionsAsync(db, wiki, grant.Id, user, state.Epoch, now, cancellationToken);
                    if (existing is not null)
                    {
                        await tx.CommitAsync(cancellationToken);
                        return new LoginResult(View(existing, wiki, user, OAuthSessionProvider.SessionId(state.Secret, existing), null), null, [], authorization);
                    }
                    session.CreatedAt = NextCreatedAt(now, latest);
                    session.OAuthGrantId = grant.Id;
                    session.Metadata = Metadata.Write(OAuthSessionProvider.SavedMetadata(grant));
                    break;
            }

            var sessionId = request.Provider == ProviderKind.OAuth ? OAuthSessionProvider.SessionId(state.Secret, session) : Secrets.NewSessionId();
            var provider = ProviderFor(request.Provider);
            cookies.InsertRange(0, provider.Persist(wiki, session, sessionId, user, request.Client, rememberToken));
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
            var session = await db.Sessions.AsNoTracking().Include(s => s.User)
                .FirstOrDefaultAsync(s => s.IdHash == hash && s.WikiId == wiki.Id, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"No session with that ID on {wiki.DbName}.");
            var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
            if (Validity.Reason(session, session.User, wiki, epoch, time.GetUtcNow()) is { } ended)
                throw new SessionException(Failure.NotFound, $"That session has ended ({EndReasons.Describe(ended)}); its data can no longer be read.");
            return new SessionData(session.DataVersion, session.Data);
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
            var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
            var now = time.GetUtcNow();
            var written = await Validity.Active(db, db.Sessions.Where(s => s.IdHash == hash && s.WikiId == wiki.Id && s.DataVersion == expectedVersion), epoch, now)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.Data, dataJson).SetProperty(s => s.DataVersion, s => s.DataVersion + 1), cancellationToken);
            if (written == 1) return expectedVersion + 1;

            var current = await db.Sessions.AsNoTracking().Include(s => s.User).FirstOrDefaultAsync(s => s.IdHash == hash && s.WikiId == wiki.Id, cancellationToken);
            if (current is null) throw new SessionException(Failure.NotFound, $"No session with that ID on {wiki.DbName}.");
            if (Validity.Reason(current, current.User, wiki, epoch, now) is { } ended)
                throw new SessionException(Failure.NotFound, $"That session has ended ({EndReasons.Describe(ended)}); its data can no longer be written.");
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
        if (provider.Kind == ProviderKind.OAuth)
            return await LoadOAuthAsync(c, claim, cancellationToken);

        var sessionId = claim.SessionId ?? "";
        var hash = Secrets.Sha256(sessionId);
        var session = claim.SessionId is null ? null : await c.Db.Sessions.AsNoTracking().Include(s => s.User)
            .FirstOrDefaultAsync(s => s.IdHash == hash && s.WikiId == c.Wiki.Id, cancellationToken);
        if (session is not null && session.Provider != provider.Kind) session = null;

        var clear = provider.Unpersist(c.Wiki, c.Cookies, c.Request.Client).ToList();
        if (session is null)
            return await RestoreOrAutoLoginAsync(c, claim, clear,
                "The session cookie names no session on this wiki (it expired and was swept, or never existed); the user must log in again.", cancellationToken);
        session.Wiki = c.Wiki;

        if (Validity.Reason(session, session.User, c.Wiki, c.State.Epoch, c.Now) is { } reason)
        {
            if (session.EndedAt is null) await EndLazilyAsync(c, session, reason, cancellationToken);
            return await RestoreOrAutoLoginAsync(c, claim, clear, $"This session has ended: {EndReasons.Describe(reason)}", cancellationToken);
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
        await TouchAsync(c, session, merged.Count != saved.Count ? Metadata.Write(merged) : null, cancellationToken);
        return new ResolveResult(View(session, c.Wiki, session.User, sessionId, null), false, [], null);
    }

    /// <summary>
    /// Reads do not write: the activity time is refreshed at most once per interval, and with it the central session
    /// the session is linked to, so an editor busy on one wiki is still auto-logged in on the next.
    /// </summary>
    private async Task TouchAsync(ResolveContext c, Session session, string? metadata, CancellationToken cancellationToken)
    {
        if (metadata is null && c.Now - session.LastActivityAt < _options.ActivityWriteInterval) return;
        var expires = c.Now + Lifetime(session.Remember);
        await c.Db.Sessions.Where(s => s.Id == session.Id && s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.LastActivityAt, c.Now)
            .SetProperty(s => s.ExpiresAt, expires)
            .SetProperty(s => s.Metadata, s => metadata ?? s.Metadata), cancellationToken);
        session.LastActivityAt = c.Now;
        session.ExpiresAt = expires;
        if (session.CentralSessionId is { } centralId)
        {
            DateTimeOffset idle = c.Now + _options.IdleTimeout, remembered = c.Now + _options.RememberDuration;
            await c.Db.CentralSessions.Where(s => s.Id == centralId && s.EndedAt == null && s.ExpiresAt > c.Now).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LastActivityAt, c.Now)
                .SetProperty(s => s.ExpiresAt, s => s.Remember ? remembered : idle), cancellationToken);
        }
    }

    /// <summary>The cookie provider's fallbacks when the session cookie does not name a live session: remember-me, then auto-login.</summary>
    private async Task<ResolveResult> RestoreOrAutoLoginAsync(
        ResolveContext c, ProviderClaim claim, IReadOnlyList<SetCookie> clear, string reason, CancellationToken cancellationToken)
    {
        if (claim.Provider == ProviderKind.Cookie && claim.RememberUserId is not null && claim.RememberToken is not null
            && await TryRememberMeAsync(c, claim, cancellationToken) is { } restored)
            return restored;
        return await TryAutoLoginAsync(c, cancellationToken) ?? NoSession(reason, clear);
    }

    private async Task<ResolveResult> LoadOAuthAsync(ResolveContext c, ProviderClaim claim, CancellationToken cancellationToken)
    {
        var grant = await c.Db.OAuthGrants.AsNoTracking().Include(g => g.Consumer).FirstOrDefaultAsync(g => g.Id == claim.GrantId, cancellationToken);
        var user = grant is null ? null : await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == grant.UserId, cancellationToken);
        if (grant is null || user is null)
            return NoSession("The OAuth grant no longer exists.");
        if (!OAuthSessionProvider.Verify(c.State.Secret, claim, user.Token, c.State.Epoch))
            return NoSession("The OAuth authorization is not valid: it was not issued by this farm, or the user's sessions were invalidated since. The tool must log in again.");
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
        if (await RefusesAsync(c, user, cancellationToken) is { } refusal)
            return NoSession(refusal);

        await using var tx = await c.Db.Database.BeginTransactionAsync(cancellationToken);
        var (session, latest) = await OAuthSessionsAsync(c.Db, c.Wiki, grant.Id, user, c.State.Epoch, c.Now, cancellationToken);
        if (session is not null)
        {
            await tx.CommitAsync(cancellationToken);
            session.Wiki = c.Wiki;
            await TouchAsync(c, session, null, cancellationToken);
            return new ResolveResult(View(session, c.Wiki, user, OAuthSessionProvider.SessionId(c.State.Secret, session), null), false, [], null);
        }

        session = NewSession(c.Wiki, user, ProviderKind.OAuth, SessionOrigin.OAuthRequest, remember: false, c.Request.Client, c.State.Epoch, NextCreatedAt(c.Now, latest));
        session.OAuthGrantId = grant.Id;
        session.Metadata = Metadata.Write(OAuthSessionProvider.SavedMetadata(grant));
        var sessionId = OAuthSessionProvider.SessionId(c.State.Secret, session);
        await InsertAsync(c.Db, session, sessionId, c.State.Secret, [], cancellationToken);
        c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Created, c.Now, c.Wiki.Id, session, user.Id, $"OAuth request of {grant.Consumer?.Name}"));
        await c.Db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);
        Publish(SessionEventKind.Created, c.Now, c.Wiki, session, user, $"OAuth request of {grant.Consumer?.Name}");
        return new ResolveResult(View(session, c.Wiki, user, sessionId, null), false, [], null);
    }

    /// <summary>Why this wiki takes no session of the user: closed, or private and the user not a member. Every path asks it.</summary>
    private static async Task<string?> RefusesAsync(ResolveContext c, GlobalUser user, CancellationToken cancellationToken)
    {
        if (c.Wiki.Status == WikiStatus.Closed) return $"{c.Wiki.DbName} is closed: nobody can have a session there.";
        if (c.Wiki.Status == WikiStatus.Private && !await c.Db.Attachments.AnyAsync(a => a.UserId == user.Id && a.WikiId == c.Wiki.Id, cancellationToken))
            return $"{c.Wiki.DbName} is private and {user.Name} is not a member.";
        return null;
    }

    /// <summary>
    /// CentralAuth's auto-login: a live central session logs the user in on this wiki too. The central session is
    /// read and claimed (its version moved on) inside the transaction that mints the session, so a global logout
    /// that commits first wins and one that commits after ends what this made. A client that does not keep cookies
    /// gets the session already minted for this central session on this wiki, not a new one per request.
    /// </summary>
    private async Task<ResolveResult?> TryAutoLoginAsync(ResolveContext c, CancellationToken cancellationToken)
    {
        var centralCookies = CookieRules.Usable(c.Request.CentralCookies);
        if (!centralCookies.TryGetValue(CookieRules.CentralSession, out var centralId) || !Secrets.IsSessionId(centralId))
            return null;
        centralId = centralId.ToLowerInvariant();
        var hash = Secrets.Sha256(centralId);

        await using var tx = await c.Db.Database.BeginTransactionAsync(cancellationToken);
        var central = await c.Db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.IdHash == hash, cancellationToken);
        if (central is null) return null;
        var user = await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == central.UserId, cancellationToken);
        if (Validity.Reason(central, user, c.State.Epoch, c.Now) is { } reason)
        {
            if (central.EndedAt is null)
                await SessionRecords.EndAsync(c.Db.CentralSessions.Where(s => s.Id == central.Id), reason, c.Now, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return null;
        }
        if (await RefusesAsync(c, user, cancellationToken) is not null) return null;

        var previous = await c.Db.Sessions.AsNoTracking()
            .Where(s => s.CentralSessionId == central.Id && s.WikiId == c.Wiki.Id && s.Origin == SessionOrigin.AutoLogin)
            .OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (previous is not null && Validity.Reason(previous, user, c.Wiki, c.State.Epoch, c.Now) is null)
            return await ReuseAsync(c, tx, previous, user, DerivedId(c, "auto", centralId, previous), autoLogin: true, cancellationToken);

        // Claim the central session at the version read: zero rows means a logout ended it in between.
        var claimed = await c.Db.CentralSessions.Where(s => s.Id == central.Id && s.Version == central.Version && s.EndedAt == null)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Version, s => s.Version + 1)
                .SetProperty(s => s.LastActivityAt, c.Now)
                .SetProperty(s => s.ExpiresAt, c.Now + Lifetime(central.Remember)), cancellationToken);
        if (claimed == 0) return null;

        await AttachAsync(c.Db, user, c.Wiki, c.Now, cancellationToken);
        var session = NewSession(c.Wiki, user, ProviderKind.Cookie, SessionOrigin.AutoLogin, central.Remember, c.Request.Client, c.State.Epoch, NextCreatedAt(c.Now, previous?.CreatedAt));
        session.CentralSessionId = central.Id;
        session.Metadata = Metadata.Write(CookieSessionProvider.SavedMetadata(user, central: true));
        session.ResurrectionOfTraceId = SurvivedLogout(central, c.Now);
        return await MintAsync(c, tx, session, user, DerivedId(c, "auto", centralId, session), SessionEventKind.AutoLogin,
            $"Auto-login from central session {central.Handle}", cancellationToken);
    }

    /// <summary>
    /// The cookie provider's "remember me": the user ID and token cookies restore a session on their wiki while the
    /// token's record is valid (not expired, not voided, same user token and farm epoch). Like auto-login, a client
    /// that does not keep cookies gets the session already restored from this token.
    /// </summary>
    private async Task<ResolveResult?> TryRememberMeAsync(ResolveContext c, ProviderClaim claim, CancellationToken cancellationToken)
    {
        if (!int.TryParse(claim.RememberUserId, out var userId) || !Secrets.IsSessionId(claim.RememberToken)) return null;
        var tokenValue = claim.RememberToken!.ToLowerInvariant();
        var hash = Secrets.Sha256(tokenValue);

        await using var tx = await c.Db.Database.BeginTransactionAsync(cancellationToken);
        var token = await c.Db.RememberTokens.AsNoTracking().FirstOrDefaultAsync(t => t.TokenHash == hash, cancellationToken);
        if (token is null || token.WikiId != c.Wiki.Id || token.UserId != userId) return null;
        var user = await c.Db.Users.AsNoTracking().FirstAsync(u => u.Id == token.UserId, cancellationToken);
        if (Validity.Reason(token, user, c.State.Epoch, c.Now) is { } reason)
        {
            if (token.EndedAt is null)
                await SessionRecords.EndAsync(c.Db.RememberTokens.Where(t => t.Id == token.Id), reason, c.Now, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return null;
        }
        if (await RefusesAsync(c, user, cancellationToken) is not null) return null;

        var previous = await c.Db.Sessions.AsNoTracking()
            .Where(s => s.RememberTokenId == token.Id && s.WikiId == c.Wiki.Id)
            .OrderByDescending(s => s.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (previous is not null && Validity.Reason(previous, user, c.Wiki, c.State.Epoch, c.Now) is null)
            return await ReuseAsync(c, tx, previous, user, DerivedId(c, "remember", tokenValue, previous), autoLogin: false, cancellationToken);

        var central = token.CentralSessionId is { } centralId
            ? await c.Db.CentralSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == centralId, cancellationToken)
            : null;
        var session = NewSession(c.Wiki, user, ProviderKind.Cookie, SessionOrigin.RememberMe, remember: true, c.Request.Client, c.State.Epoch, NextCreatedAt(c.Now, previous?.CreatedAt));
        session.RememberTokenId = token.Id;
        // Linked to the browser's central session, so a global logout of that browser ends it too.
        session.CentralSessionId = token.CentralSessionId;
        session.Metadata = Metadata.Write(CookieSessionProvider.SavedMetadata(user, central: false));
        session.ResurrectionOfTraceId = central is null ? null : SurvivedLogout(central, c.Now);
        return await MintAsync(c, tx, session, user, DerivedId(c, "remember", tokenValue, session), SessionEventKind.Created,
            "Restored from the remember-me token", cancellationToken);
    }

    /// <summary>The one way a session is minted on resolve: inserted with its events inside the caller's transaction, then published.</summary>
    private async Task<ResolveResult> MintAsync(ResolveContext c, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx,
        Session session, GlobalUser user, string sessionId, SessionEventKind kind, string detail, CancellationToken cancellationToken)
    {
        var cookies = ProviderFor(session.Provider).Persist(c.Wiki, session, sessionId, user, c.Request.Client, rememberToken: null).ToList();
        await InsertAsync(c.Db, session, sessionId, c.State.Secret, cookies, cancellationToken);
        c.Db.Events.Add(SessionRecords.Event(kind, c.Now, c.Wiki.Id, session, user.Id, detail));
        if (session.ResurrectionOfTraceId is { } traceId)
            c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Resurrection, c.Now, c.Wiki.Id, session, user.Id,
                $"{detail}, which survived logout {traceId}"));
        await c.Db.SaveChangesAsync(cancellationToken);
        await tx.CommitAsync(cancellationToken);

        Publish(kind, c.Now, c.Wiki, session, user, detail);
        if (session.ResurrectionOfTraceId is { } failed)
        {
            logger.LogWarning("Resurrection: {User} got session {SessionHandle} on {Wiki} ({Origin}) from a credential that survived logout {TraceId}",
                user.Name, session.Handle, c.Wiki.DbName, session.Origin, failed);
            Publish(SessionEventKind.Resurrection, c.Now, c.Wiki, session, user, "Logged straight back in after a logout", traceId: failed);
        }
        return new ResolveResult(View(session, c.Wiki, user, sessionId, null), kind == SessionEventKind.AutoLogin, cookies, null);
    }

    /// <summary>The session this credential already made on this wiki, with its cookies set again: no new row, no event.</summary>
    private async Task<ResolveResult> ReuseAsync(ResolveContext c, Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx,
        Session session, GlobalUser user, string sessionId, bool autoLogin, CancellationToken cancellationToken)
    {
        session.Wiki = c.Wiki;
        await TouchAsync(c, session, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        var cookies = ProviderFor(session.Provider).Persist(c.Wiki, session, sessionId, user, c.Request.Client, rememberToken: null).ToList();
        return new ResolveResult(View(session, c.Wiki, user, sessionId, null), autoLogin, cookies, null);
    }

    /// <summary>
    /// The ID of a session minted from a credential the browser presents (a central session ID or a remember-me token):
    /// derived from that secret and the session's creation time, so the same credential finds the same session again,
    /// and the store, which keeps neither secret, cannot compute it.
    /// </summary>
    private static string DerivedId(ResolveContext c, string purpose, string credential, Session session) =>
        Secrets.Hmac(c.State.Secret, $"{purpose}|{credential}|{session.WikiId}|{session.CreatedAt.UtcTicks}")[..32];

    /// <summary>Creation times of one credential's sessions on one wiki are distinct, so their derived IDs are too.</summary>
    private static DateTimeOffset NextCreatedAt(DateTimeOffset now, DateTimeOffset? latest) =>
        latest is { } last && last >= now ? last.AddTicks(1) : now;

    /// <summary>The logout this central session survived, when it was recent: a session minted from it now means that logout did not hold.</summary>
    private string? SurvivedLogout(CentralSession central, DateTimeOffset now) =>
        central.SurvivedLogoutAt is { } at && now - at <= _options.ResurrectionWindow ? central.SurvivedLogoutTraceId : null;

    /// <summary>The live OAuth session of the grant on the wiki, and when the grant's latest session there was made.</summary>
    private static async Task<(Session? Active, DateTimeOffset? Latest)> OAuthSessionsAsync(
        SessionsDb db, Wiki wiki, int grantId, GlobalUser user, long epoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var latest = await db.Sessions.AsNoTracking()
            .Where(s => s.OAuthGrantId == grantId && s.WikiId == wiki.Id)
            .OrderByDescending(s => s.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (latest is null) return (null, null);
        latest.User = user;
        return (Validity.Reason(latest, user, wiki, epoch, now) is null ? latest : null, latest.CreatedAt);
    }

    private string IssueRememberToken(SessionsDb db, GlobalUser user, Wiki wiki, CentralSession central, FarmState state, DateTimeOffset now)
    {
        var token = Secrets.NewSessionId();
        db.RememberTokens.Add(new RememberToken
        {
            TokenHash = Secrets.Sha256(token), UserId = user.Id, WikiId = wiki.Id, CentralSessionId = central.Id,
            IssuedAt = now, ExpiresAt = now + _options.RememberDuration, UserToken = user.Token, Epoch = state.Epoch,
        });
        return token;
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
            if (existing is not null && Validity.Reason(existing, user, state.Epoch, now) is null)
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
    public static string Wire(ProviderKind kind) => WireNames.Of(kind);

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
