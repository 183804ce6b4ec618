using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor;
using MudBlazor.Services;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Auth;
using WikiSessions.Dashboard.Components.Replays;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components;

public static class UiSetup
{
    public static IServiceCollection AddDashboardUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices(o =>
        {
            o.SnackbarConfiguration.PositionClass = Defaults.Classes.Position.BottomRight;
            o.SnackbarConfiguration.VisibleStateDuration = 8000;
        });
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, StaffRevalidatingStateProvider>();
        services.AddScoped<StaffActions>();
        services.TryAddSingleton<IReplayRunner, NoReplayRunner>();
        return services;
    }

    public static IEndpointRouteBuilder MapDashboardUi(this IEndpointRouteBuilder app)
    {
        app.MapStaticAssets();
        // The edge sends the whole content security policy, frame-ancestors 'none' included (EdgeSetup).
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);

        var account = app.MapGroup("/account").ExcludeFromDescription();
        account.MapPost("/login", LoginAsync).RequireRateLimiting(RateLimits.Login);
        // With an OpenID Connect provider configured, the login page offers it; the provider signs into the staff cookie.
        account.MapGet("/login/external", (string? returnUrl) => TypedResults.Challenge(
            new AuthenticationProperties { RedirectUri = IsLocal(returnUrl) ? returnUrl : "/" }, [OpenIdStaffLogin.Scheme]));
        account.MapPost("/logout", async (HttpContext http, StaffSessions sessions) =>
        {
            await sessions.EndAsync(http.User.FindFirstValue(Schemes.SessionClaim), http.RequestAborted);
            await http.SignOutAsync(Schemes.StaffCookie);
            return TypedResults.LocalRedirect("/login");
        });
        return app;
    }

    /// <remarks>Failures are not logged here one by one: <see cref="FailedLoginLog"/> sums them up once a minute.</remarks>
    private static async Task<IResult> LoginAsync(
        [FromForm] string? name, [FromForm] string? password, [FromForm] string? returnUrl,
        HttpContext http, StaffLogins logins, ILoggerFactory loggers)
    {
        var local = IsLocal(returnUrl) ? returnUrl! : "/";
        var login = await logins.LoginAsync(name, password, http.Connection.RemoteIpAddress?.ToString(), http.RequestAborted);
        if (login is null)
            return TypedResults.LocalRedirect($"/login?error=1&returnUrl={Uri.EscapeDataString(local)}");
        await http.SignInAsync(Schemes.StaffCookie, Schemes.Principal(login.Actor, Schemes.StaffCookie, new Claim(Schemes.SessionClaim, login.SessionToken)));
        loggers.CreateLogger("WikiSessions.Dashboard.Login").LogInformation("{StaffName} logged in to the dashboard as {Role}", Core.Staff.LogText.Quote(login.Actor.Name), login.Actor.Role);
        return TypedResults.LocalRedirect(local);
    }

    /// <summary>
    /// Only a path on this site: "//host" and "/\host" are other sites to a browser, and so is "/\t/host", since
    /// browsers drop tabs and newlines from a URL; so no control character is taken at all (as the framework's own
    /// local-redirect check, which would otherwise throw).
    /// </summary>
    internal static bool IsLocal(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(char.IsControl);
}
