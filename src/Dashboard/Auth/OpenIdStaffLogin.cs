using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using WikiSessions.Core.Staff;

namespace WikiSessions.Dashboard.Auth;

/// <summary>
/// Staff login through the organisation's OpenID Connect provider instead of (or besides) local accounts.
/// Configured under <c>Authentication:OpenIdConnect</c>: <c>Authority</c>, <c>ClientId</c>, <c>ClientSecret</c>,
/// <c>RoleClaim</c> (default <c>groups</c>) and <c>Roles</c>, a map from the provider's group to
/// <c>steward</c>, <c>developer</c> or <c>support</c>. A person in none of the mapped groups is refused.
/// </summary>
public static class OpenIdStaffLogin
{
    public const string Scheme = OpenIdConnectDefaults.AuthenticationScheme;
    /// <summary>Marks principals vouched for by the provider: they have no local account to re-check.</summary>
    public const string ProviderClaim = "staff_idp";

    public static bool IsConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["Authentication:OpenIdConnect:Authority"]);

    public static void AddOpenIdStaffLogin(this Microsoft.AspNetCore.Authentication.AuthenticationBuilder builder, IConfiguration configuration)
    {
        var section = configuration.GetSection("Authentication:OpenIdConnect");
        var roleClaim = section["RoleClaim"] ?? "groups";
        var roles = section.GetSection("Roles").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "", StringComparer.OrdinalIgnoreCase);
        builder.AddOpenIdConnect(Scheme, o =>
        {
            o.Authority = section["Authority"];
            o.ClientId = section["ClientId"];
            o.ClientSecret = section["ClientSecret"];
            o.ResponseType = "code";
            o.SignInScheme = Schemes.StaffCookie;
            o.CallbackPath = "/signin-oidc";
            o.MapInboundClaims = false;
            o.Scope.Add("profile");
            o.Events.OnTokenValidated = async context =>
            {
                var principal = MapToStaff(context.Principal!, roleClaim, roles);
                if (principal is null)
                {
                    context.Fail("The identity provider named no staff role for this account.");
                    return;
                }
                // A server-side staff session, so that logging out ends this login too.
                var sessions = context.HttpContext.RequestServices.GetRequiredService<StaffSessions>();
                var token = await sessions.StartAsync(null, principal.Identity!.Name!, "", context.HttpContext.RequestAborted);
                ((ClaimsIdentity)principal.Identity).AddClaim(new Claim(Schemes.SessionClaim, token));
                context.Principal = principal;
            };
        });
    }

    /// <summary>The staff principal for a provider's identity: its name and the highest mapped role, or null when none maps.</summary>
    public static ClaimsPrincipal? MapToStaff(ClaimsPrincipal external, string roleClaim, IReadOnlyDictionary<string, string> roles)
    {
        string[] order = ["steward", "developer", "support"];
        var role = external.FindAll(roleClaim)
            .Select(c => roles.GetValueOrDefault(c.Value, ""))
            .Where(order.Contains)
            .OrderBy(r => Array.IndexOf(order, r))
            .FirstOrDefault();
        var name = external.FindFirstValue("preferred_username") ?? external.FindFirstValue("name") ?? external.FindFirstValue("sub");
        if (role is null || name is null) return null;
        return new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role), new Claim(ProviderClaim, external.FindFirstValue("iss") ?? "oidc")],
            Schemes.StaffCookie));
    }
}
