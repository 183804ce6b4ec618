using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;

namespace WikiSessions.Dashboard.Auth;

/// <summary>Names of the authentication schemes, policies and claims.</summary>
public static class Schemes
{
    /// <summary>Staff in the dashboard: a login cookie.</summary>
    public const string StaffCookie = CookieAuthenticationDefaults.AuthenticationScheme;
    /// <summary>Staff scripts: <c>Authorization: Bearer &lt;staff token&gt;</c>.</summary>
    public const string StaffToken = "StaffToken";
    /// <summary>Staff by either of the two above, chosen by whether the request carries a bearer token.</summary>
    public const string Staff = "Staff";
    /// <summary>Wiki servers: <c>Authorization: Bearer &lt;wiki key&gt;</c>.</summary>
    public const string WikiKey = "WikiKey";

    public const string WikiClaim = "wiki";
    /// <summary>The token of the server-side staff session a login cookie names (the cookie is encrypted).</summary>
    public const string SessionClaim = "staff_session";
    /// <summary>The SHA-256 of the staff token a request was authenticated with, so a live connection can re-check it.</summary>
    public const string TokenHashClaim = "staff_token_hash";

    /// <summary>Any staff role may read users, sessions and history.</summary>
    public const string AnyStaff = "AnyStaff";
    /// <summary>Developers and stewards read everything (traces, metadata, audit, replays).</summary>
    public const string DeveloperOrSteward = "DeveloperOrSteward";
    /// <summary>Only stewards change anything.</summary>
    public const string Steward = "Steward";
    public const string WikiServer = "WikiServer";

    public static string RoleName(StaffRole role) => role.ToString().ToLowerInvariant();

    public static ClaimsPrincipal Principal(StaffActor actor, string scheme, Claim? credential = null) =>
        new(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, actor.Name), new Claim(ClaimTypes.Role, RoleName(actor.Role)), .. credential is null ? Array.Empty<Claim>() : [credential]],
            scheme));

    /// <summary>The staff member behind a request or circuit.</summary>
    public static StaffActor Actor(this ClaimsPrincipal user) =>
        new(user.Identity?.Name ?? "unknown",
            Enum.TryParse<StaffRole>(user.FindFirstValue(ClaimTypes.Role), ignoreCase: true, out var role) ? role : StaffRole.Support);
}

/// <summary>Authenticates a bearer token as a staff token or a wiki key; each scheme ignores the other's credentials.</summary>
public sealed class BearerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, StaffDirectory staff)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            token = header["Bearer ".Length..].Trim();
        // Browsers cannot set headers on a WebSocket: SignalR clients send the token as access_token, on /hubs only.
        else if (header.Length == 0 && Request.Path.StartsWithSegments("/hubs") && Request.Query["access_token"].ToString() is { Length: > 0 } queryToken)
            token = queryToken.Trim();
        else
            return AuthenticateResult.NoResult();
        if (token.Length is 0 or > 256) return AuthenticateResult.Fail("Malformed bearer token.");

        if (Scheme.Name == Schemes.WikiKey)
        {
            var wiki = await staff.VerifyWikiKeyAsync(token, Context.RequestAborted);
            if (wiki is null) return AuthenticateResult.NoResult();
            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, wiki.DbName), new Claim(Schemes.WikiClaim, wiki.DbName)], Scheme.Name);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
        }
        var hash = Core.Sessions.Secrets.Sha256(token);
        var actor = await staff.VerifyTokenHashAsync(hash, Context.RequestAborted);
        return actor is null
            ? AuthenticateResult.NoResult()
            : AuthenticateResult.Success(new AuthenticationTicket(Schemes.Principal(actor, Scheme.Name, new Claim(Schemes.TokenHashClaim, hash)), Scheme.Name));
    }
}
