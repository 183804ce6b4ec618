using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Api;

/// <summary>Securing a compromised account: <c>botPasswords</c> and <c>oauthGrants</c> left out (null) mean every unrevoked one.</summary>
public sealed record SecureAccountBody(string? Reason, string[]? BotPasswords, string[]? OAuthGrants, bool? Prevent);

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
        return app;
    }

    private static async Task<Ok<AccountSecured>> SecureAccount(string name, SecureAccountBody body, ClaimsPrincipal user, AdminService admin, CancellationToken ct)
    {
        var request = new SecureAccountRequest(
            PlainText.Check(body.Reason, "reason", InputLimits.Reason, multiline: true) ?? "",
            Names(body.BotPasswords, "botPasswords", InputLimits.AppId),
            Names(body.OAuthGrants, "oauthGrants", InputLimits.Consumer),
            body.Prevent ?? false);
        return TypedResults.Ok(await admin.SecureAccountAsync(user.Actor(), name, request, ct));
    }

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
