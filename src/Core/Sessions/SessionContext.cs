using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>One login or resolve: the store, the wiki, the farm state, the request's credentials and the time.</summary>
public sealed class SessionContext(
    SessionsDb db, Wiki wiki, FarmState state, ClientInfo client,
    IReadOnlyDictionary<string, string> cookies, IReadOnlyDictionary<string, string> centralCookies, string? authorization,
    DateTimeOffset now, SessionOptions options, ServerKey key)
{
    public SessionsDb Db => db;
    public Wiki Wiki => wiki;
    public FarmState State => state;
    public ClientInfo Client => client;
    /// <summary>The wiki host's cookies, without the ones a browser sends after deleting them.</summary>
    public IReadOnlyDictionary<string, string> Cookies => cookies;
    public IReadOnlyDictionary<string, string> CentralCookies => centralCookies;
    public string? Authorization => authorization;
    public DateTimeOffset Now => now;
    public SessionOptions Options => options;
    public ServerKey Key => key;

    /// <summary>The write a provider's ends go through, while a session is being made; outside it nothing may end.</summary>
    public CredentialWrite Write => _write ?? throw new InvalidOperationException("A credential ends only inside the write that makes a session.");
    private CredentialWrite? _write;

    /// <summary>Runs <paramref name="inside"/> with <see cref="Write"/> set to <paramref name="write"/>.</summary>
    internal async Task<T> WithinAsync<T>(CredentialWrite write, Func<Task<T>> inside)
    {
        _write = write;
        try
        {
            return await inside();
        }
        finally
        {
            _write = null;
        }
    }

    public TimeSpan Lifetime(bool remember) => remember ? options.RememberDuration : options.IdleTimeout;

    /// <summary>A session of this wiki for the user, not yet saved.</summary>
    public Session NewSession(GlobalUser user, ProviderKind provider, SessionOrigin origin, bool remember, DateTimeOffset? createdAt = null)
    {
        var at = createdAt ?? now;
        return new Session
        {
            IdHash = "", Handle = "", WikiId = wiki.Id, UserId = user.Id, Provider = provider, Origin = origin,
            CreatedAt = at, LastActivityAt = now, ExpiresAt = now + Lifetime(remember), Remember = remember,
            Ip = client.Ip, IpKey = IpKeys.Key(client.Ip), UserAgent = client.UserAgent, UserToken = user.Token, Epoch = state.Epoch,
        };
    }

    public Task<Session?> FindByIdAsync(string sessionId, CancellationToken cancellationToken)
    {
        var hash = Secrets.Sha256(sessionId);
        return db.Sessions.AsNoTracking().Include(s => s.User).FirstOrDefaultAsync(s => s.IdHash == hash && s.WikiId == wiki.Id, cancellationToken);
    }

    /// <summary>Why this wiki takes no session of the user: closed, or private and the user not a member. Every path that mints asks it.</summary>
    public async Task<string?> RefusesAsync(GlobalUser user, CancellationToken cancellationToken)
    {
        if (wiki.Status == WikiStatus.Closed) return $"{wiki.DbName} is closed: nobody can have a session there.";
        if (wiki.Status == WikiStatus.Private && !await db.Attachments.AnyAsync(a => a.UserId == user.Id && a.WikiId == wiki.Id, cancellationToken))
            return $"{wiki.DbName} is private and {user.Name} is not a member.";
        return null;
    }

    /// <summary>
    /// Attaches the user to the wiki (CentralAuth's attachment, made at login and on the first auto-login there); a
    /// private wiki takes members only.
    /// </summary>
    public async Task AttachAsync(GlobalUser user, CancellationToken cancellationToken)
    {
        if (await db.Attachments.AnyAsync(a => a.UserId == user.Id && a.WikiId == wiki.Id, cancellationToken)) return;
        if (wiki.Status == WikiStatus.Private)
            throw new SessionException(Failure.Forbidden, $"{wiki.DbName} is private and {user.Name} is not a member.");
        await SessionRecords.AttachAsync(db, user.Id, wiki.Id, now, cancellationToken);
    }

    /// <summary>
    /// The ID of a session minted from a credential the browser presents (a central session ID, a remember-me token,
    /// an OAuth grant): derived from it and the session's creation time, so the same credential finds the same session
    /// again, and the store, which keeps neither the credential nor the result, cannot compute it.
    /// </summary>
    public string DerivedId(string purpose, string credential, Session session) =>
        key.Mac($"{purpose}|{credential}|{session.WikiId}|{session.CreatedAt.UtcTicks}")[..32];

    /// <summary>Creation times of one credential's sessions on one wiki are distinct, so their derived IDs are too.</summary>
    public DateTimeOffset NextCreatedAt(DateTimeOffset? latest) => latest is { } last && last >= now ? last.AddTicks(1) : now;

    /// <summary>The logout this central session survived, when it was recent: a session minted from it now means that logout did not hold.</summary>
    public string? SurvivedLogout(CentralSession? central) =>
        central?.SurvivedLogoutAt is { } at && now - at <= options.ResurrectionWindow ? central.SurvivedLogoutTraceId : null;
}
