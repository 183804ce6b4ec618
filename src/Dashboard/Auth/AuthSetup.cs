using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;

namespace WikiSessions.Dashboard.Auth;

public static class AuthSetup
{
    public static IServiceCollection AddStaffAndWikiAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var authentication = services.AddAuthentication(Schemes.StaffCookie);
        if (OpenIdStaffLogin.IsConfigured(configuration)) authentication.AddOpenIdStaffLogin(configuration);
        authentication
            .AddCookie(Schemes.StaffCookie, o =>
            {
                o.LoginPath = "/login";
                o.AccessDeniedPath = "/denied";
                o.Cookie.Name = "wikisessions_staff";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                // API callers get status codes, not redirects to the login page.
                o.Events.OnRedirectToLogin = c => Challenge(c, StatusCodes.Status401Unauthorized);
                o.Events.OnRedirectToAccessDenied = c => Challenge(c, StatusCodes.Status403Forbidden);
            })
            .AddScheme<AuthenticationSchemeOptions, BearerHandler>(Schemes.StaffToken, null)
            .AddScheme<AuthenticationSchemeOptions, BearerHandler>(Schemes.WikiKey, null)
            // One scheme answers for staff: a request with a bearer token is a script, anything else is the dashboard.
            // So a page's challenge is the cookie's redirect to /login, and a script's is the token's 401.
            .AddPolicyScheme(Schemes.Staff, "Staff login cookie or API token", o => o.ForwardDefaultSelector = c =>
                c.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? Schemes.StaffToken : Schemes.StaffCookie);

        services.AddAuthorizationBuilder()
            .AddPolicy(Schemes.AnyStaff, p => p.AddAuthenticationSchemes(Schemes.Staff).RequireRole("steward", "developer", "support"))
            .AddPolicy(Schemes.DeveloperOrSteward, p => p.AddAuthenticationSchemes(Schemes.Staff).RequireRole("steward", "developer"))
            .AddPolicy(Schemes.Steward, p => p.AddAuthenticationSchemes(Schemes.Staff).RequireRole("steward"))
            .AddPolicy(Schemes.WikiServer, p => p.AddAuthenticationSchemes(Schemes.WikiKey).RequireClaim(Schemes.WikiClaim));
        return services;
    }

    private static Task Challenge(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> context, int status)
    {
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/hubs"))
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}
