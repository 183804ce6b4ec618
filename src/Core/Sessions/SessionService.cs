using System.Data.Common;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// Login, resolve and session data for wiki servers, with the semantics of MediaWiki's SessionManager and
/// CentralAuth: provider priority, metadata merge, user-token checks, central auto-login. What is particular to a
/// provider lives in its <see cref="SessionProvider"/>; every new session goes through <see cref="CreateAsync"/>.
/// </summary>
public sealed class SessionService(
    IDbContextFactory<SessionsDb> dbFactory,
    FarmDirectory farm,
    IEnumerable<SessionProvider> providers,
    SessionFeed feed,
    StoreHealth storeHealth,
    SessionCache cache,
    CredentialWrites writes,
    IOptions<SessionOptions> options,
    ServerKey key,
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
            db.Events.Add(SessionRecords.Event(SessionEventKind.Refused, now, wiki?.Id, null, userId, $"Login through {WireNames.Of(request.Provider)} refused: {why}"));
            await db.SaveChangesAsync(cancellationToken);
            feed.Publish(new SessionNotice(SessionEventKind.Refused, now, request.Wiki, null, request.User, request.Provider, why));
        }
        catch (DbException ex)
        {
            logger.LogWarning(ex, "Could not record a refused login on {Wiki}", LogText.Quote(request.Wiki));
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
                throw new SessionException(Failure.Forbidden, $"The {WireNames.Of(request.Provider)} provider is disabled on {wiki.DbName}.");
            var provider = ProviderFor(request.Provider);

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var c = await ContextAsync(db, wiki, request.Client, CookieRules.Usable(request.Cookies), request.CentralCookies, null, cancellationToken);
            var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Name == request.User, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"There is no global user named '{request.User}'.");
            if (user.Prevented)
                throw new SessionException(Failure.Forbidden, $"{user.Barred}; no provider may log them in.");

            var created = await CreateAsync(c, async () =>
            {
                await c.AttachAsync(user, cancellationToken);
                var made = await provider.BindAsync(c, user, request, cancellationToken);
                if (made is Draft draft)
                {
                    draft.Session.Origin = SessionOrigin.Login;
                    made = draft with { Event = SessionEventKind.Created, Detail = $"Logged in through {WireNames.Of(request.Provider)}" };
                    // A new login replaces the session the browser still carries for this provider: its old ID must not stay a credential.
                    if (provider.Claim(wiki, c.Cookies, null)?.SessionId is { } carried)
                    {
                        var carriedHash = Secrets.Sha256(carried);
                        await c.Write.EndAsync(db.Sessions.Where(s => s.IdHash == carriedHash && s.WikiId == wiki.Id), EndReason.Replaced, null, c.Now,
                            Eviction.Key(carriedHash), cancellationToken);
                    }
                }
                return made;
            }, cancellationToken);

            logger.LogDebug("Login of {User} on {Wiki} through {Provider}: session {SessionHandle}", LogText.Quote(user.Name), wiki.DbName, request.Provider, created.Row!.Handle);
            var centralId = (created.Made as Draft)?.CentralId;
            var authorization = created.Made switch { Draft d => d.Authorization, Again a => a.Authorization, _ => null };
            return new LoginResult(created.View! with { CentralSessionId = centralId }, centralId, created.Cookies, authorization);
        });

    /// <summary>Which session does this request belong to? Never creates a session silently: only auto-login, remember-me and OAuth make one.</summary>
    public Task<ResolveResult> ResolveAsync(ResolveRequest request, CancellationToken cancellationToken = default) =>
        GuardStoreAsync(request.Wiki, async () =>
        {
            var wiki = await RequireWikiAsync(request.Wiki, cancellationToken);
            var cookies = CookieRules.Usable(request.Cookies);
            var winner = await WinningClaimAsync(wiki, cookies, request.Authorization, cancellationToken);
            if (winner is { Provider.Kind: ProviderKind.Cookie, Claim: { SessionId: { } cachedId, Invalid: null } } && FromCache(wiki, cachedId, cookies) is { } hit)
                return hit;

            var seen = cache.Changes;
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var c = await ContextAsync(db, wiki, request.Client, cookies, request.CentralCookies, request.Authorization, cancellationToken);
            if (winner is null)
            {
                return await RecoverAsync(c, ProviderFor(ProviderKind.Cookie), null, [], cancellationToken)
                    ?? NoSession(c.Cookies.Count == 0 && request.CentralCookies is null
                        ? $"The request carried no session cookie for {wiki.Host}: the browser may be blocking cookies, or the user is not logged in."
                        : "No session provider recognised the request.");
            }
            var (provider, claim) = winner.Value;
            var clear = provider.Unpersist(wiki, c.Cookies, c.Client).ToList();
            if (claim.Invalid is { } invalid)
                return NoSession(invalid, clear);

            var (session, sessionId) = await provider.FindAsync(c, claim, cancellationToken);
            if (session is null)
                return await RecoverAsync(c, provider, claim, clear, cancellationToken)
                    ?? NoSession("The session cookie names no session on this wiki (it expired and was swept, or never existed); the user must log in again.", clear);
            session.Wiki = wiki;

            if (Validity.Reason(session, session.User, wiki, c.State.Epoch, c.Now) is { } reason)
            {
                if (session.EndedAt is null) await EndLazilyAsync(c, session, reason, cancellationToken);
                return await RecoverAsync(c, provider, claim, clear, cancellationToken)
                    ?? NoSession($"This session has ended: {EndReasons.Describe(reason)}", clear);
            }

            var saved = Metadata.Parse(session.Metadata);
            var provided = await provider.ProvideMetadataAsync(db, session, c.Cookies, cancellationToken);
            var conflicts = Metadata.Conflicts(saved, provided);
            if (conflicts.Count > 0)
                return await RejectForMetadataAsync(c, session, saved, provided, conflicts, clear, cancellationToken);
            if (provider.Refresh(session, provided) is { } refused)
            {
                await EndLazilyAsync(c, session, refused, cancellationToken);
                return NoSession($"This session has ended: {EndReasons.Describe(refused)}", clear);
            }

            var merged = Metadata.Merge(saved, provided);
            var metadata = merged.Count != saved.Count ? Metadata.Write(merged) : null;
            if (metadata is not null || c.Now - session.LastActivityAt >= c.Options.ActivityWriteInterval)
            {
                // A write like any other: it takes its turn (and shares a commit) rather than meet a store locked by one.
                await using var write = await writes.BeginAsync(c.Db, cancellationToken);
                await TouchAsync(c, session, metadata, cancellationToken);
                write.Evicts(Eviction.None("an activity write moves the session's expiry later; a copy with the earlier one goes to the store sooner, not wrongly"));
                await write.CommitAsync(cancellationToken);
            }
            if (provider.Kind == ProviderKind.Cookie) cache.Put(seen, session, merged);
            return new ResolveResult(View(session, wiki, session.User, sessionId), false, [], null);
        });

    /// <summary>
    /// The hot path: a cookie session this instance resolved a moment ago, still valid by the rule with the cached epoch
    /// and user, carrying the same user cookies, and not due for its activity write. Anything else goes to the store,
    /// which decides and records (an end, a conflict, a touch).
    /// </summary>
    private ResolveResult? FromCache(Wiki wiki, string sessionId, IReadOnlyDictionary<string, string> cookies)
    {
        if (cache.Epoch is not { } epoch || cache.Session(wiki.Id, Secrets.Sha256(sessionId)) is not { } hit) return null;
        var (session, now) = (hit.Session, time.GetUtcNow());
        if (Validity.Reason(session, session.User, wiki, epoch, now) is not null || now - session.LastActivityAt >= _options.ActivityWriteInterval) return null;
        var provided = CookieSessionProvider.Provided(wiki, cookies);
        if (provided.Any(p => !hit.Saved.TryGetValue(p.Key, out var saved) || saved != p.Value)) return null;
        return new ResolveResult(View(session, wiki, session.User, sessionId), false, [], null);
    }

    /// <summary>The session's data and its version.</summary>
    public Task<SessionData> GetDataAsync(string wikiName, string sessionId, CancellationToken cancellationToken = default) =>
        GuardStoreAsync(wikiName, async () =>
        {
            var (wiki, hash) = await DataTargetAsync(wikiName, sessionId, cancellationToken);
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var session = await db.Sessions.AsNoTracking().Include(s => s.User)
                .FirstOrDefaultAsync(s => s.IdHash == hash && s.WikiId == wiki.Id, cancellationToken)
                ?? throw new SessionException(Failure.NotFound, $"No session with that ID on {wiki.DbName}.");
            var epoch = (await cache.FarmAsync(db, cancellationToken)).Epoch;
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
            var epoch = (await cache.FarmAsync(db, cancellationToken)).Epoch;
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

    /// <param name="cookies">The wiki host's cookies, already <see cref="CookieRules.Usable"/>.</param>
    private async Task<SessionContext> ContextAsync(SessionsDb db, Wiki wiki, ClientInfo client, IReadOnlyDictionary<string, string> cookies,
        IReadOnlyDictionary<string, string>? centralCookies, string? authorization, CancellationToken cancellationToken) =>
        new(db, wiki, await cache.FarmAsync(db, cancellationToken), client,
            cookies, CookieRules.Usable(centralCookies), authorization, time.GetUtcNow(), _options, key);

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
            var tied = claims.Where(c => c.Priority == claims[0].Priority).Select(c => WireNames.Of(c.Provider.Kind));
            throw new SessionException(Failure.Misconfigured,
                $"The {string.Join(" and ", tied)} providers both recognise this request with priority {claims[0].Priority} on {wiki.DbName}. " +
                "A tie is never settled silently: give the providers different priorities.");
        }
        return (claims[0].Provider, claims[0].Claim!);
    }

    /// <summary>The claim names no live session: what the provider can make or find from its other credentials, or null.</summary>
    private async Task<ResolveResult?> RecoverAsync(SessionContext c, SessionProvider provider, ProviderClaim? claim, IReadOnlyList<SetCookie> clear,
        CancellationToken cancellationToken)
    {
        if (!provider.MayRecover(c, claim)) return null;
        if (await provider.RefusalAsync(c, claim, cancellationToken) is { } refusal) return NoSession(refusal, clear);
        Created created;
        try
        {
            created = await CreateAsync(c, () => provider.RecoverAsync(c, claim, cancellationToken), cancellationToken);
        }
        catch (DbUpdateException ex) when (StoreFaults.IsDuplicateKey(ex))
        {
            // A recovered session's ID is derived from its credential: another request with the same credential (a second
            // tab restoring from one remember-me token) committed it first. Ours rolled back; a second pass finds theirs.
            c.Db.ChangeTracker.Clear();
            created = await CreateAsync(c, () => provider.RecoverAsync(c, claim, cancellationToken), cancellationToken);
        }
        return created.Made switch
        {
            Refused refused => NoSession(refused.Reason, clear),
            null => null,
            _ => new ResolveResult(created.View, created.Row!.Origin == SessionOrigin.AutoLogin, created.Cookies, null),
        };
    }

    /// <summary>What the creation path did: the provider's answer, the session row and its view, and the cookies to set.</summary>
    private sealed record Created(Made? Made, Session? Row, WikiSession? View, IReadOnlyList<SetCookie> Cookies);

    /// <summary>
    /// The one way a session comes to be. <paramref name="bind"/> runs inside the transaction, so whatever it reads to
    /// decide (a central session and its version, a remember-me token, a grant) cannot change before the session is
    /// saved. A <see cref="Draft"/> is inserted with its events and published; an <see cref="Again"/> is handed back with
    /// its cookies set again and no new row; a refusal or nothing makes nothing.
    /// </summary>
    private async Task<Created> CreateAsync(
        SessionContext c, Func<Task<Made?>> bind, CancellationToken cancellationToken)
    {
        await using var write = await writes.BeginAsync(c.Db, cancellationToken);
        var made = await c.WithinAsync(write, bind);
        switch (made)
        {
            case Again again:
            {
                again.Session.Wiki = c.Wiki;
                await TouchAsync(c, again.Session, null, cancellationToken);
                await write.CommitAsync(cancellationToken);
                var cookies = ProviderFor(again.Session.Provider).Persist(c.Wiki, again.Session, again.Id, again.User, c.Client, rememberToken: null).ToList();
                return new Created(made, again.Session, View(again.Session, c.Wiki, again.User, again.Id), cookies);
            }
            case Draft draft:
            {
                var session = draft.Session;
                var cookies = ProviderFor(session.Provider).Persist(c.Wiki, session, draft.Id, draft.User, c.Client, draft.RememberToken)
                    .Concat(draft.ExtraCookies).ToList();
                session.IdHash = Secrets.Sha256(draft.Id);
                session.Handle = key.Handle(draft.Id);
                session.CookiesSet = string.Join(",", cookies.Select(k => k.Name));
                c.Db.Sessions.Add(session);
                await c.Db.SaveChangesAsync(cancellationToken); // the session's key, for its events
                c.Db.Events.Add(SessionRecords.Event(draft.Event, c.Now, c.Wiki.Id, session, draft.User.Id, draft.Detail));
                write.Publish(Notice(draft.Event, c.Now, c.Wiki, session, draft.User, draft.Detail));
                if (session.ResurrectionOfTraceId is { } traceId)
                {
                    c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Resurrection, c.Now, c.Wiki.Id, session, draft.User.Id,
                        $"{draft.Detail}, which survived logout {traceId}"));
                    write.Publish(Notice(SessionEventKind.Resurrection, c.Now, c.Wiki, session, draft.User, "Logged straight back in after a logout", traceId: traceId));
                }
                await write.CommitAsync(cancellationToken);

                if (session.ResurrectionOfTraceId is { } failed)
                {
                    // Debug, like the rejection below: each is an event in the store and a notice on the live feed, and a farm
                    // with a broken integration has them on every request, which would flood the log at its default level.
                    logger.LogDebug("Resurrection: {User} got session {SessionHandle} on {Wiki} ({Origin}) from a credential that survived logout {TraceId}",
                        LogText.Quote(draft.User.Name), session.Handle, c.Wiki.DbName, session.Origin, failed);
                }
                return new Created(made, session, View(session, c.Wiki, draft.User, draft.Id), cookies);
            }
            default:
                // A refusal may have ended what it refused (a revoked grant's sessions); nothing else was written.
                await write.CommitAsync(cancellationToken);
                return new Created(made, null, null, []);
        }
    }

    /// <summary>
    /// Reads do not write: the activity time is refreshed at most once per interval, and with it the central session
    /// the session is linked to, so an editor busy on one wiki is still auto-logged in on the next.
    /// </summary>
    private static async Task TouchAsync(SessionContext c, Session session, string? metadata, CancellationToken cancellationToken)
    {
        if (metadata is null && c.Now - session.LastActivityAt < c.Options.ActivityWriteInterval) return;
        var expires = c.Now + c.Lifetime(session.Remember);
        await c.Db.Sessions.Where(s => s.Id == session.Id && s.EndedAt == null).ExecuteUpdateAsync(u => u
            .SetProperty(s => s.LastActivityAt, c.Now)
            .SetProperty(s => s.ExpiresAt, expires)
            .SetProperty(s => s.Metadata, s => metadata ?? s.Metadata), cancellationToken);
        session.LastActivityAt = c.Now;
        session.ExpiresAt = expires;
        if (metadata is not null) session.Metadata = metadata;
        if (session.CentralSessionId is { } centralId)
        {
            DateTimeOffset idle = c.Now + c.Options.IdleTimeout, remembered = c.Now + c.Options.RememberDuration;
            await c.Db.CentralSessions.Where(s => s.Id == centralId && s.EndedAt == null && s.ExpiresAt > c.Now).ExecuteUpdateAsync(u => u
                .SetProperty(s => s.LastActivityAt, c.Now)
                .SetProperty(s => s.ExpiresAt, s => s.Remember ? remembered : idle), cancellationToken);
        }
    }

    private async Task<ResolveResult> RejectForMetadataAsync(
        SessionContext c, Session session, Dictionary<string, string> saved, Dictionary<string, string> provided,
        IReadOnlyList<string> conflicts, IReadOnlyList<SetCookie> clear, CancellationToken cancellationToken)
    {
        var keys = string.Join(", ", conflicts);
        await using (var write = await writes.BeginAsync(c.Db, cancellationToken))
        {
            await write.EndAsync(c.Db.Sessions.Where(s => s.Id == session.Id), EndReason.MetadataConflict, null, c.Now, Eviction.Key(session.IdHash), cancellationToken);
            c.Db.MetadataDiffs.Add(new MetadataDiff
            {
                SessionId = session.Id, At = c.Now, Saved = Metadata.Write(saved), Provided = Metadata.Write(provided), ConflictingKeys = string.Join(",", conflicts),
            });
            c.Db.Events.Add(SessionRecords.Event(SessionEventKind.MetadataRejected, c.Now, c.Wiki.Id, session, session.UserId, $"Provided metadata conflicts on {keys}"));
            write.Publish(Notice(SessionEventKind.MetadataRejected, c.Now, c.Wiki, session, session.User, $"Metadata conflict on {keys}", endReason: EndReason.MetadataConflict));
            await write.CommitAsync(cancellationToken);
        }
        logger.LogDebug("Rejected session {SessionHandle} on {Wiki}: metadata conflicts on {Keys}", session.Handle, c.Wiki.DbName, LogText.Quote(keys, LogText.MaxLength * 4));
        return NoSession($"The request is not a valid continuation of the session: its {keys} differ from the saved metadata. The session was ended.", clear);
    }

    /// <summary>Records the end of a session the rule no longer accepts (idle, invalidated, its grant revoked), once.</summary>
    private async Task EndLazilyAsync(SessionContext c, Session session, EndReason reason, CancellationToken cancellationToken)
    {
        await using var write = await writes.BeginAsync(c.Db, cancellationToken);
        // OAuth sessions ended by a revoked grant show up for every request of the tool; one event per session is enough.
        if (await write.EndAsync(c.Db.Sessions.Where(s => s.Id == session.Id), reason, null, c.Now, Eviction.Key(session.IdHash), cancellationToken) > 0)
        {
            c.Db.Events.Add(SessionRecords.Event(SessionEventKind.Ended, c.Now, c.Wiki.Id, session, session.UserId, EndReasons.Describe(reason)));
            write.Publish(Notice(SessionEventKind.Ended, c.Now, c.Wiki, session, session.User, EndReasons.Describe(reason), endReason: reason));
        }
        await write.CommitAsync(cancellationToken);
    }

    private SessionProvider ProviderFor(ProviderKind kind) => _providers.First(p => p.Kind == kind);

    private static WikiSession View(Session s, Wiki wiki, GlobalUser? user, string id) =>
        new(id, wiki.DbName, user?.Name, WireNames.Of(s.Provider), null, s.CreatedAt, s.LastActivityAt, s.ExpiresAt, s.Remember);

    private static ResolveResult NoSession(string reason, IEnumerable<SetCookie>? clear = null) => new(null, false, clear?.ToList() ?? [], reason);

    private async Task<Wiki> RequireWikiAsync(string name, CancellationToken cancellationToken) =>
        await farm.FindAsync(name, cancellationToken) ?? throw new SessionException(Failure.NotFound, $"There is no wiki named '{name}' in the farm.");

    private async Task<(Wiki Wiki, string Hash)> DataTargetAsync(string wikiName, string sessionId, CancellationToken cancellationToken)
    {
        var wiki = await RequireWikiAsync(wikiName, cancellationToken);
        if (!Secrets.IsSessionId(sessionId))
            throw new SessionException(Failure.Invalid, "A session ID is exactly 32 hexadecimal digits.");
        return (wiki, Secrets.Sha256(sessionId.ToLowerInvariant()));
    }

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

    private static SessionNotice Notice(SessionEventKind kind, DateTimeOffset at, Wiki wiki, Session session, GlobalUser? user, string detail,
        string? traceId = null, EndReason? endReason = null) =>
        new(kind, at, wiki.DbName, session.Handle, user?.Name, session.Provider, detail, traceId, endReason);

    private Task<T> GuardStoreAsync<T>(string wiki, Func<Task<T>> action) => storeHealth.GuardAsync(wiki,
        "The session store is unavailable, so the session could neither be loaded nor created. Nothing was changed; retry in a moment.", action);
}
