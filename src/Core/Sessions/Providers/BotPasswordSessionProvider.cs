using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>A bot logged in with <c>User@AppId</c>: bound to that bot password and its grants; cannot change the user.</summary>
public sealed class BotPasswordSessionProvider : SessionProvider
{
    public override ProviderKind Kind => ProviderKind.BotPassword;

    public static string SessionCookie(Wiki wiki) => $"{wiki.DbName}_BPsession";

    public override IReadOnlyList<string> CookieNames(Wiki wiki) => [SessionCookie(wiki)];

    public override ProviderClaim? Claim(Wiki wiki, IReadOnlyDictionary<string, string> cookies, string? authorization)
    {
        if (!cookies.TryGetValue(SessionCookie(wiki), out var id)) return null;
        return Secrets.IsSessionId(id)
            ? new ProviderClaim(Kind, SessionId: id.ToLowerInvariant())
            : new ProviderClaim(Kind, Invalid: $"The {SessionCookie(wiki)} cookie is not a session ID (32 hex digits).");
    }

    public override async Task<Made> BindAsync(SessionContext c, GlobalUser user, LoginRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.AppId))
            throw new SessionException(Failure.Invalid, "A bot password login needs an appId.");
        var bot = await c.Db.BotPasswords.AsNoTracking()
            .FirstOrDefaultAsync(p => p.UserId == user.Id && p.AppId == request.AppId && p.RevokedAt == null, cancellationToken)
            ?? throw new SessionException(Failure.Forbidden, $"{user.Name}@{request.AppId} is not a bot password (it never existed, or it was deleted or revoked).");
        var session = c.NewSession(user, Kind, SessionOrigin.Login, request.Remember);
        session.BotPasswordId = bot.Id;
        session.Metadata = Metadata.Write(new Dictionary<string, string>
        {
            ["appId"] = bot.AppId, ["botPasswordId"] = bot.Id.ToString(), ["grants"] = bot.Grants,
        });
        return new Draft(session, user, Secrets.NewSessionId(), SessionEventKind.Created, "Logged in through botpassword");
    }

    public override async Task<Dictionary<string, string>> ProvideMetadataAsync(
        SessionsDb db, Session session, IReadOnlyDictionary<string, string> cookies, CancellationToken cancellationToken)
    {
        var saved = Metadata.Parse(session.Metadata);
        if (!saved.TryGetValue("appId", out var appId) || session.UserId is not { } userId) return [];
        // The bot password the app ID names now: a deleted and re-created one is a different password.
        var current = await db.BotPasswords.AsNoTracking()
            .Where(p => p.UserId == userId && p.AppId == appId && p.RevokedAt == null)
            .Select(p => new { p.Id, p.Grants })
            .FirstOrDefaultAsync(cancellationToken);
        return current is null ? [] : new() { ["botPasswordId"] = current.Id.ToString(), ["grants"] = current.Grants };
    }

    public override EndReason? Refresh(Session session, IReadOnlyDictionary<string, string> provided) =>
        provided.Count == 0 ? EndReason.GrantRevoked : null;

    public override IEnumerable<SetCookie> Persist(Wiki wiki, Session session, string sessionId, GlobalUser? user, ClientInfo client, string? rememberToken) =>
        [CookieRules.Set(wiki.Host, SessionCookie(wiki), sessionId, null, client)];
}
