using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Components.Shared;

/// <summary>
/// The staff policies accept the login cookie and API tokens. For a dashboard page, only the cookie may answer
/// a challenge (a redirect to /login or /denied); otherwise the token scheme's 401 would replace the redirect
/// and a browser would show a blank page. API and hub routes keep the default behaviour.
/// </summary>
public sealed class PageChallengeHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        var page = !context.Request.Path.StartsWithSegments("/api") && !context.Request.Path.StartsWithSegments("/hubs");
        if (page && authorizeResult.Challenged) return context.ChallengeAsync(Schemes.StaffCookie);
        if (page && authorizeResult.Forbidden) return context.ForbidAsync(Schemes.StaffCookie);
        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
