using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Staff;

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
                // The cookie slides; the server-side staff session decides (idle timeout, absolute lifetime, logout, stamp).
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = ValidateStaffSessionAsync;
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

        services.AddOptions<CookieAuthenticationOptions>(Schemes.StaffCookie)
            .Configure<IOptions<StaffLoginOptions>>((o, staff) => o.ExpireTimeSpan = staff.Value.IdleTimeout);
        services.AddAuthorizationBuilder()
            .AddPolicy(Schemes.AnyStaff, p => p.AddAuthenticationSchemes(Schemes.Staff).RequireRole("steward", "developer", "support"))
            .AddPolicy(Schemes.DeveloperOrSteward, p => p.AddAuthenticationSchemes(Schemes.Staff).RequireRole("steward", "developer"))
            .AddPolicy(Schemes.Steward, p => p.AddAuthenticationSchemes(Schemes.Staff).RequireRole("steward"))
            .AddPolicy(Schemes.WikiServer, p => p.AddAuthenticationSchemes(Schemes.WikiKey).RequireClaim(Schemes.WikiClaim));
        return services;
    }

    /// <summary>A cookie is only as good as the staff session it names: ended, expired or made under an old stamp, it is refused.</summary>
    private static async Task ValidateStaffSessionAsync(CookieValidatePrincipalContext context)
    {
        var sessions = context.HttpContext.RequestServices.GetRequiredService<StaffSessions>();
        var state = await sessions.ValidateAsync(context.Principal?.FindFirstValue(Schemes.SessionClaim), context.HttpContext.RequestAborted);
        if (state is not null && (state.Role is not { } role || Schemes.RoleName(role) == context.Principal!.FindFirstValue(ClaimTypes.Role))) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Schemes.StaffCookie);
    }

    private static Task Challenge(RedirectContext<CookieAuthenticationOptions> context, int status)
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
