using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>A session as staff see it: named by its handle, never its ID.</summary>
public sealed record AdminSession(
    string Handle, string Wiki, string? User, ProviderKind Provider, string? CentralSessionHandle,
    DateTimeOffset CreatedAt, DateTimeOffset LastActivityAt, DateTimeOffset ExpiresAt, bool Remember,
    string? Ip, string? UserAgent, SessionOrigin Origin, DateTimeOffset? EndedAt, EndReason? EndReason, string? EndReasonText,
    string? EndedBy, string? ResurrectionOfTraceId);

/// <summary>What a browser-scope revoke ends besides the session itself, counted by the validity rule.</summary>
/// <param name="OAuthAuthorization">The session is an OAuth tool's: the revoke ends the tool's authorization, and the
/// other sessions counted are the ones it made on other wikis; the grant survives.</param>
public sealed record BrowserRadius(int CentralSessions, int OtherSessions, int Wikis, int RememberTokens, bool OAuthAuthorization = false);

/// <summary>Which sessions a list, an export or a bulk job covers; every field left out matches any session.</summary>
/// <param name="Wiki">A wiki by database name (enwiki), or a deployment group (group0, group1, group2) for all its wikis.</param>
/// <param name="Ip">The start of an address, or a CIDR block.</param>
/// <param name="From">Logged in at or after this time.</param>
/// <param name="To">Logged in before this time.</param>
/// <param name="Remember">Remember-me sessions only (true) or the others only (false).</param>
/// <param name="EndReason">Ended for this reason only (implies ended).</param>
public sealed record SessionFilter(string? Wiki = null, string? User = null, ProviderKind? Provider = null, string? Ip = null, bool? Active = null,
    DateTimeOffset? From = null, DateTimeOffset? To = null, bool? Remember = null, SessionOrigin? Origin = null, EndReason? EndReason = null)
{
    /// <summary>True when no field narrows the filter: every session of the farm matches.</summary>
    public bool IsEmpty => this == new SessionFilter() || this == new SessionFilter(Active: Active);

    /// <summary>An origin as the API spells it (login, autoLogin, rememberMe, oauthRequest, mediaWiki; any case), or null for none.</summary>
    /// <exception cref="SessionException">Invalid: <paramref name="origin"/> is not an origin.</exception>
    public static SessionOrigin? ParseOrigin(string? origin) =>
        string.IsNullOrWhiteSpace(origin) ? null
        : WireNames.TryParse<SessionOrigin>(origin, out var value) ? value
        : throw new SessionException(Failure.Invalid, $"'{origin}' is not a session origin; use {string.Join(", ", Enum.GetValues<SessionOrigin>().Select(WireNames.Of))}.");

    /// <summary>An end reason as the API spells it (docs/api-contract.md, "End reasons"), or null for none.</summary>
    /// <exception cref="SessionException">Invalid: <paramref name="reason"/> is not an end reason.</exception>
    public static EndReason? ParseEndReason(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? null
        : WireNames.TryParse<EndReason>(reason, out var value) ? value
        : throw new SessionException(Failure.Invalid, $"'{reason}' is not an end reason; use {string.Join(", ", Enum.GetValues<EndReason>().Select(WireNames.Of))}.");

    /// <summary>A provider as the API spells it (cookie, botpassword, oauth; any case), or null for none.</summary>
    /// <exception cref="SessionException">Invalid: <paramref name="provider"/> is not a provider.</exception>
    public static ProviderKind? ParseProvider(string? provider) =>
        string.IsNullOrWhiteSpace(provider) ? null
        : WireNames.TryParse<ProviderKind>(provider, out var kind) ? kind
        : throw new SessionException(Failure.Invalid, $"'{provider}' is not a provider; use cookie, botpassword or oauth.");
}

public sealed record MetadataDiffView(DateTimeOffset At, IReadOnlyDictionary<string, string> Saved, IReadOnlyDictionary<string, string> Provided, IReadOnlyList<string> ConflictingKeys);
public sealed record EventView(DateTimeOffset At, SessionEventKind Kind, string? Wiki, string? SessionHandle, string Detail);
/// <param name="CentralWrittenBy">On a CentralAuth farm, the wiki that last wrote the value of the session's central session
/// (any wiki of the farm may write it); null when the store holds no such value.</param>
public sealed record SessionDetail(AdminSession Session, string ProviderExplanation, IReadOnlyList<string> CookiesSet, IReadOnlyList<EventView> Events,
    IReadOnlyList<MetadataDiffView> MetadataDiffs, string? CentralWrittenBy);

/// <summary>Sessions for the admin API and the dashboard: the explorer, the CSV export, one session's detail.</summary>
public sealed class SessionQueries(IDbContextFactory<SessionsDb> dbFactory, FarmDirectory farm, TimeProvider time)
{
    /// <summary>A page of sessions; the filter and paging run in the store, so this scales to millions of rows.</summary>
    public async Task<Paged<AdminSession>> SessionsAsync(SessionFilter filter, int page = 1, int pageSize = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await PageAsync(db, await FilterAsync(db, filter, cancellationToken), page, pageSize, cancellationToken);
    }

    /// <summary>Rows per read of the CSV export: few round trips, and memory stays flat whatever the export's size.</summary>
    private const int ExportBatch = 10_000;

    /// <summary>Every session of the filter, newest first, for a CSV export.</summary>
    /// <remarks>
    /// Pages by key (each page starts below the last ID sent), not by offset: logins that run during the export
    /// get higher IDs and are never sent, so no row is repeated or skipped whatever the traffic. Each page is one
    /// query that names the user and the central session itself and streams its rows as they are read: no entity
    /// is tracked or materialised, and the wiki is named from the farm directory in memory.
    /// </remarks>
    public async IAsyncEnumerable<AdminSession> ExportAsync(SessionFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var wikis = (await farm.AllAsync(cancellationToken)).ToDictionary(w => w.Id, w => w.DbName);
        long? below = null;
        while (true)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var query = await FilterAsync(db, filter, cancellationToken);
            var epoch = await AdminReads.EpochAsync(db, cancellationToken);
            if (below is { } last) query = query.Where(s => s.Id < last);
            // Only the columns the export shows: a session's data and metadata (kilobytes for a MediaWiki session) stay in the store.
            var rows = query.OrderByDescending(s => s.Id).Take(ExportBatch).AsNoTracking().Select(s => new
            {
                s.Id, s.Handle, s.WikiId, User = s.User!.Name, s.Provider, Central = s.CentralSession!.Handle, s.CreatedAt, s.LastActivityAt, s.ExpiresAt,
                s.Remember, s.Ip, s.UserAgent, s.Origin, s.Epoch, s.EndedAt, s.EndReason, s.EndedBy, s.ResurrectionOfTraceId,
            });
            var count = 0;
            await foreach (var s in rows.AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                count++;
                below = s.Id;
                // As ViewsAsync says it: a session of an older epoch has ended even before the sweeper records it.
                var reason = s.EndReason ?? (s.Epoch != epoch ? EndReason.EveryoneInvalidated : null);
                yield return new AdminSession(
                    s.Handle, wikis.GetValueOrDefault(s.WikiId) ?? (await farm.GetAsync(s.WikiId, cancellationToken)).DbName, s.User, s.Provider, s.Central, s.CreatedAt, s.LastActivityAt, s.ExpiresAt, s.Remember, s.Ip, s.UserAgent,
                    s.Origin, s.EndedAt ?? (reason is null ? null : s.LastActivityAt), reason, reason is { } r ? EndReasons.Describe(r) : null, s.EndedBy,
                    s.ResurrectionOfTraceId);
            }
            if (count < ExportBatch) yield break;
        }
    }

    /// <summary>
    /// What revoking the session with scope browser would end besides it: its central session (and the one of the
    /// remember-me token it was restored from), the other live sessions linked to them, on how many wikis, and their tokens.
    /// </summary>
    public async Task<BrowserRadius> BrowserRadiusAsync(string handle, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.Where(s => s.Handle == handle).Select(s => new { s.Id, s.CentralSessionId, s.RememberTokenId, s.OAuthGrantId }).FirstOrDefaultAsync(cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
        if (session.OAuthGrantId is { } grantId)
        {
            var (grantEpoch, grantNow) = (await AdminReads.EpochAsync(db, cancellationToken), time.GetUtcNow());
            var made = Validity.Active(db, db.Sessions.Where(s => s.Id != session.Id && s.OAuthGrantId == grantId), grantEpoch, grantNow);
            return new BrowserRadius(0, await made.CountAsync(cancellationToken), await made.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken), 0, OAuthAuthorization: true);
        }
        var centrals = await SessionRecords.BrowserCentralsAsync(db, session.CentralSessionId, session.RememberTokenId, cancellationToken);
        if (centrals.Count == 0) return new BrowserRadius(0, 0, 0, 0);
        var (epoch, now) = (await AdminReads.EpochAsync(db, cancellationToken), time.GetUtcNow());
        var linked = Validity.Active(db, db.Sessions.Where(s => s.Id != session.Id && s.CentralSessionId != null && centrals.Contains(s.CentralSessionId.Value)), epoch, now);
        return new BrowserRadius(
            await Validity.Active(db, db.CentralSessions.Where(c => centrals.Contains(c.Id)), epoch, now).CountAsync(cancellationToken),
            await linked.CountAsync(cancellationToken),
            await linked.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken),
            await Validity.Active(db, db.RememberTokens.Where(t => t.CentralSessionId != null && centrals.Contains(t.CentralSessionId.Value)), epoch, now).CountAsync(cancellationToken));
    }

    public async Task<SessionDetail> SessionAsync(string handle, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(s => s.Handle == handle, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
        var view = (await ViewsAsync(db, [session], cancellationToken))[0];
        var events = await db.Events.Where(e => e.SessionId == session.Id).OrderBy(e => e.At).ThenBy(e => e.Id).Take(AdminReads.MaxPageSize).ToListAsync(cancellationToken);
        var settings = await farm.SettingsAsync(session.WikiId, cancellationToken);
        var setting = settings[session.Provider];
        var others = settings.Values.Where(s => s.Provider != session.Provider && s.Enabled).Select(s => $"{WireNames.Of(s.Provider)} ({s.Priority})");
        var explanation = session.Origin == SessionOrigin.MediaWiki
            ? $"MediaWiki keeps this session in the store (its provider class is in the metadata); the console sees its metadata, never its data. " +
              "A revoke or an invalidation makes the store answer 404, so MediaWiki sees no session on its next request; MediaWiki's own " +
              "remember-me Token cookie can restore the user until the user's token is reset on the wiki."
            : $"{WireNames.Of(session.Provider)} (priority {setting.Priority}) resolved it: " + session.Origin switch
        {
            SessionOrigin.AutoLogin => "the browser had no session here, and the central session logged it in (auto-login).",
            SessionOrigin.RememberMe => "the remember-me token cookie matched the user's token.",
            SessionOrigin.OAuthRequest => "an OAuth request of the consumer made it; its ID is derived from the grant.",
            _ => "it was made at login, and it wins over any lower-priority provider that recognises the same request.",
        } + $" Other providers on this wiki: {string.Join(", ", others)}.";
        return new SessionDetail(view, explanation,
            session.CookiesSet.Split(',', StringSplitOptions.RemoveEmptyEntries),
            events.Select(e => new EventView(e.At, e.Kind, view.Wiki, e.SessionHandle, e.Detail)).ToList(),
            await DiffsAsync(db, session.Id, cancellationToken),
            session.CentralSessionId is { } centralId
                ? await db.Wikis.Where(w => db.Blobs.Any(b => b.WikiId == w.Id && db.CentralSessions.Any(c => c.Id == centralId && c.IdHash == b.KeyHash)))
                    .Select(w => w.DbName).FirstOrDefaultAsync(cancellationToken)
                : null);
    }

    public async Task<IReadOnlyList<MetadataDiffView>> MetadataDiffsAsync(string handle, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var id = await db.Sessions.Where(s => s.Handle == handle).Select(s => (long?)s.Id).FirstOrDefaultAsync(cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no session with handle '{handle}'.");
        return await DiffsAsync(db, id, cancellationToken);
    }

    /// <summary>A page of <paramref name="query"/>, newest first, as staff see it.</summary>
    /// <remarks>
    /// The total is counted up to <see cref="AdminReads.MaxCount"/> and then given as "more than that": counting every
    /// open session of enwiki (hundreds of thousands, each checked by the validity rule) would cost more than the page.
    /// </remarks>
    internal async Task<Paged<AdminSession>> PageAsync(SessionsDb db, IQueryable<Session> query, int page, int pageSize, CancellationToken cancellationToken)
    {
        (page, pageSize) = AdminReads.Clamp(page, pageSize);
        var total = await query.Take(AdminReads.MaxCount + 1).CountAsync(cancellationToken);
        var rows = await query.OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .Skip(AdminReads.Offset(page, pageSize)).Take(pageSize).AsNoTracking().ToListAsync(cancellationToken);
        return new Paged<AdminSession>(await ViewsAsync(db, rows, cancellationToken), Math.Min(total, AdminReads.MaxCount), page, pageSize)
            { TotalCapped = total > AdminReads.MaxCount };
    }

    /// <summary>The sessions as staff see them: wiki, user and central session by name or handle, and why each ended.</summary>
    internal async Task<IReadOnlyList<AdminSession>> ViewsAsync(SessionsDb db, IReadOnlyList<Session> sessions, CancellationToken cancellationToken)
    {
        var userIds = sessions.Select(s => s.UserId).OfType<int>().Distinct().ToList();
        var users = await db.Users.Where(u => userIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.Name, cancellationToken);
        var centralIds = sessions.Select(s => s.CentralSessionId).OfType<long>().Distinct().ToList();
        var centrals = await db.CentralSessions.Where(c => centralIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Handle, cancellationToken);
        var epoch = await AdminReads.EpochAsync(db, cancellationToken);
        var views = new List<AdminSession>(sessions.Count);
        foreach (var s in sessions)
        {
            // A session of an older epoch has ended even before the sweeper records it.
            var reason = s.EndReason ?? (s.Epoch != epoch ? EndReason.EveryoneInvalidated : null);
            views.Add(new AdminSession(
                s.Handle, (await farm.GetAsync(s.WikiId, cancellationToken)).DbName, s.UserId is { } u ? users.GetValueOrDefault(u) : null,
                s.Provider, s.CentralSessionId is { } c ? centrals.GetValueOrDefault(c) : null,
                s.CreatedAt, s.LastActivityAt, s.ExpiresAt, s.Remember, s.Ip, s.UserAgent, s.Origin, s.EndedAt ?? (reason is null ? null : s.LastActivityAt),
                reason, reason is { } r ? EndReasons.Describe(r) : null, s.EndedBy, s.ResurrectionOfTraceId));
        }
        return views;
    }

    /// <summary>The sessions of <paramref name="filter"/> as a query on <paramref name="db"/>, for lists and for bulk jobs' UPDATEs.</summary>
    /// <exception cref="SessionException">NotFound: no such wiki or user. Invalid: a malformed IP filter or time window.</exception>
    internal async Task<IQueryable<Session>> FilterAsync(SessionsDb db, SessionFilter filter, CancellationToken cancellationToken)
    {
        var query = filter.Active switch
        {
            true => await AdminReads.ActiveAsync(db, time.GetUtcNow(), cancellationToken),
            false => db.Sessions.Where(s => s.EndedAt != null),
            null => db.Sessions.AsQueryable(),
        };
        if (!string.IsNullOrWhiteSpace(filter.Wiki))
        {
            var name = filter.Wiki.Trim();
            if (Enum.TryParse<DeploymentGroup>(name, ignoreCase: true, out var group) && name.StartsWith("group", StringComparison.OrdinalIgnoreCase))
            {
                var ids = (await farm.AllAsync(cancellationToken)).Where(w => w.Group == group).Select(w => w.Id).ToList();
                query = query.Where(s => ids.Contains(s.WikiId));
            }
            else
            {
                var wiki = await farm.FindAsync(name, cancellationToken)
                    ?? throw new SessionException(Failure.NotFound, $"There is no wiki named '{filter.Wiki}' in the farm; give a wiki's database name (enwiki) or a group (group0, group1, group2).");
                query = query.Where(s => s.WikiId == wiki.Id);
            }
        }
        if (filter.From is { } from && filter.To is { } to && to <= from)
            throw new SessionException(Failure.Invalid, "The login time window ends before it starts: 'to' must be later than 'from'.");
        if (filter.From is { } since) query = query.Where(s => s.CreatedAt >= since);
        if (filter.To is { } until) query = query.Where(s => s.CreatedAt < until);
        if (filter.Remember is { } remember) query = query.Where(s => s.Remember == remember);
        if (filter.Origin is { } origin) query = query.Where(s => s.Origin == origin);
        if (filter.EndReason is { } reason) query = query.Where(s => s.EndReason == reason);
        if (!string.IsNullOrWhiteSpace(filter.User))
        {
            var user = await AdminReads.FindUserAsync(db, filter.User.Trim(), cancellationToken);
            query = query.Where(s => s.UserId == user.Id);
        }
        if (filter.Provider is { } kind) query = query.Where(s => s.Provider == kind);
        if (!string.IsNullOrWhiteSpace(filter.Ip))
        {
            var ip = filter.Ip.Trim();
            if (ip.Contains('/'))
            {
                if (!IpKeys.TryRange(ip, out var low, out var high, out var why))
                    throw new SessionException(Failure.Invalid, $"'{ip}' is not a CIDR block we accept: {why}.");
                query = query.Where(s => string.Compare(s.IpKey, low) >= 0 && string.Compare(s.IpKey, high) <= 0);
            }
            else
            {
                if (ip.Length > IpKeys.MaxAddressLength || !ip.All(c => char.IsAsciiHexDigit(c) || c is '.' or ':'))
                    throw new SessionException(Failure.Invalid, "An IP filter is the start of an address (digits, dots, colons) or a CIDR block such as 203.0.113.0/24.");
                query = query.Where(s => s.Ip!.StartsWith(ip));
                if (db.Database.IsSqlite())
                {
                    // SQLite's LIKE ignores case, so it cannot seek the Ip index; the same prefix as a range can (SQL Server's
                    // LIKE 'prefix%' seeks already). Addresses are stored as the server formats them, in lower case.
                    var low = ip.ToLowerInvariant();
                    var high = low[..^1] + (char)(low[^1] + 1);
                    query = query.Where(s => string.Compare(s.Ip, low) >= 0 && string.Compare(s.Ip, high) < 0);
                }
            }
        }
        return query;
    }

    private static async Task<IReadOnlyList<MetadataDiffView>> DiffsAsync(SessionsDb db, long sessionId, CancellationToken cancellationToken) =>
        (await db.MetadataDiffs.Where(d => d.SessionId == sessionId).OrderBy(d => d.At).ToListAsync(cancellationToken))
            .Select(d => new MetadataDiffView(d.At, Metadata.Parse(d.Saved), Metadata.Parse(d.Provided), d.ConflictingKeys.Split(',', StringSplitOptions.RemoveEmptyEntries)))
            .ToList();
}
