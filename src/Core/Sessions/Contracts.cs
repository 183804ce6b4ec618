using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>Where a request came from. <c>Secure</c>: it came over TLS.</summary>
public sealed record ClientInfo(string? Ip, string? UserAgent, bool Secure);

/// <summary>A cookie to set or clear on a host. Clearing is an empty value with an expiry in the past.</summary>
public sealed record SetCookie(string Host, string Name, string Value, DateTimeOffset? ExpiresAt, bool Secure, bool HttpOnly, string Path = "/");

/// <summary>A session as the wiki server sees it (with its ID).</summary>
public sealed record WikiSession(
    string Id, string Wiki, string? User, string Provider, string? CentralSessionId,
    DateTimeOffset CreatedAt, DateTimeOffset LastActivityAt, DateTimeOffset ExpiresAt, bool Remember);

public sealed record LoginRequest(
    string Wiki, string User, ProviderKind Provider, bool Remember, string? AppId, string? Consumer, ClientInfo Client,
    IReadOnlyDictionary<string, string>? Cookies = null,
    IReadOnlyDictionary<string, string>? CentralCookies = null);

/// <summary>A new session; for OAuth, <c>Authorization</c> is the header value the tool sends on later requests.</summary>
public sealed record LoginResult(WikiSession Session, string? CentralSessionId, IReadOnlyList<SetCookie> SetCookies, string? Authorization);

public sealed record ResolveRequest(
    string Wiki, IReadOnlyDictionary<string, string> Cookies, IReadOnlyDictionary<string, string>? CentralCookies,
    string? Authorization, ClientInfo Client);

public sealed record ResolveResult(WikiSession? Session, bool AutoLogin, IReadOnlyList<SetCookie> SetCookies, string? Reason);

public sealed record LogoutRequest(
    string Wiki, IReadOnlyDictionary<string, string> Cookies, IReadOnlyDictionary<string, string>? CentralCookies,
    LogoutScope Scope, ClientInfo Client);

/// <summary>A logout's trace and outcome; <c>Survives</c> says in words what can still log the user back in, if anything.</summary>
public sealed record LogoutResult(string TraceId, LogoutOutcome Outcome, IReadOnlyList<SetCookie> SetCookies, string? Survives = null);

public sealed record SessionData(int Version, string Data);
