using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using WikiSessions.Core.Admin;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Components.Shared;

/// <summary>
/// Re-checks the staff account behind a live circuit every few minutes: a removed account, or one whose
/// role changed, loses its circuit instead of keeping the rights it logged in with.
/// </summary>
public sealed class StaffRevalidatingStateProvider(ILoggerFactory loggerFactory, StaffDirectory staff)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(3);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var user = authenticationState.User;
        if (user.Identity is not { IsAuthenticated: true, Name: { } name }) return true;
        // The organisation's identity provider vouched for this login; there is no local account to re-check.
        if (user.HasClaim(c => c.Type == OpenIdStaffLogin.ProviderClaim)) return true;
        var role = await staff.CurrentRoleAsync(name, cancellationToken);
        return role is { } r && Schemes.RoleName(r) == user.FindFirstValue(ClaimTypes.Role);
    }
}
