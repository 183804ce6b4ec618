using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Api;

/// <summary>Securing a compromised account: <c>botPasswords</c> and <c>oauthGrants</c> left out (null) mean every unrevoked one.</summary>
public sealed record SecureAccountBody(string? Reason, string[]? BotPasswords, string[]? OAuthGrants, bool? Prevent);

public sealed record NewStaffBody(string? Name, string? Role, string? Reason);
public sealed record StaffRoleBody(string? Role, string? Reason);

/// <summary>The stewards' workflows that reach further than one session or one user token.</summary>
public static class StewardApi
{
    /// <summary>More names than a user could hold is malformed, not a long job.</summary>
    public const int MaxTicked = 100;

    public static IEndpointRouteBuilder MapStewardApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Staff")
            .AddEndpointFilter(InputLimits.RouteAndQuery)
            .AddEndpointFilter(WikiApi.EngineRefusals)
            .RequireRateLimiting(RateLimits.Admin);

        admin.MapGet("/users/{user}/secure-account", (string user, AdminService a, CancellationToken ct) => a.PreviewSecureAccountAsync(user, ct))
            .RequireAuthorization(Schemes.AnyStaff)
            .WithSummary("What securing the account would end, revoke and reset.");
        admin.MapPost("/users/{name}/secure-account", SecureAccount)
            .RequireAuthorization(Schemes.Steward)
            .WithSummary("A compromised account in one action: end everything, reset its token on every wiki, revoke the ticked credentials, optionally prevent.");

        // Other staff never reach these routes: 403, whatever the account named.
        var staff = admin.MapGroup("/staff").RequireAuthorization(Schemes.Steward);
        staff.MapGet("", (ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) => s.ListAsync(user.Actor(), ct))
            .WithSummary("Staff accounts with role, last login, lockout and live dashboard sessions; never their secrets.");
        staff.MapPost("", (NewStaffBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.AddAsync(user.Actor(), PlainText.Check(body.Name, "name", InputLimits.User) ?? "", Role(body.Role), Reason(body.Reason), ct))
            .WithSummary("Add a staff account; its password and API token are in the answer once.");
        staff.MapPost("/{name}/role", (string name, StaffRoleBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.ChangeRoleAsync(user.Actor(), name, Role(body.Role), Reason(body.Reason), ct)).WithSummary("Change a staff role; the last active steward keeps theirs.");
        staff.MapPost("/{name}/disable", (string name, ReasonBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.SetDisabledAsync(user.Actor(), name, true, Reason(body.Reason), ct)).WithSummary("Disable a staff account: no login, no API token.");
        staff.MapPost("/{name}/enable", (string name, ReasonBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.SetDisabledAsync(user.Actor(), name, false, Reason(body.Reason), ct)).WithSummary("Enable a disabled staff account.");
        staff.MapPost("/{name}/reset-password", (string name, ReasonBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.ResetPasswordAsync(user.Actor(), name, Reason(body.Reason), ct)).WithSummary("A new password, in the answer once.");
        staff.MapPost("/{name}/new-token", (string name, ReasonBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.NewTokenAsync(user.Actor(), name, Reason(body.Reason), ct)).WithSummary("A new API token, in the answer once.");
        staff.MapPost("/{name}/end-sessions", (string name, ReasonBody body, ClaimsPrincipal user, StaffAccounts s, CancellationToken ct) =>
            s.EndSessionsAsync(user.Actor(), name, Reason(body.Reason), ct)).WithSummary("End the staff member's dashboard logins.");
        return app;
    }

    private static async Task<Ok<AccountSecured>> SecureAccount(string name, SecureAccountBody body, ClaimsPrincipal user, AdminService admin, CancellationToken ct)
    {
        var request = new SecureAccountRequest(
            Reason(body.Reason),
            Names(body.BotPasswords, "botPasswords", InputLimits.AppId),
            Names(body.OAuthGrants, "oauthGrants", InputLimits.Consumer),
            body.Prevent ?? false);
        return TypedResults.Ok(await admin.SecureAccountAsync(user.Actor(), name, request, ct));
    }

    private static string Reason(string? reason) => PlainText.Check(reason, "reason", InputLimits.Reason, multiline: true) ?? "";

    private static StaffRole Role(string? role) => PlainText.Check(role, "role", InputLimits.Word)?.ToLowerInvariant() switch
    {
        "steward" => StaffRole.Steward,
        "developer" => StaffRole.Developer,
        "support" => StaffRole.Support,
        _ => throw new SessionException(Failure.Invalid, "'role' is required: steward, developer or support."),
    };

    private static string[]? Names(string[]? names, string field, int max)
    {
        if (names is null) return null;
        if (names.Length > MaxTicked) throw new SessionException(Failure.Invalid, $"'{field}' lists at most {MaxTicked} names.");
        foreach (var name in names)
            if (string.IsNullOrEmpty(PlainText.Check(name, field, max)))
                throw new SessionException(Failure.Invalid, $"'{field}' holds an empty name.");
        return names;
    }
}
