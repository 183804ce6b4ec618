using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Components.Shared;

/// <summary>
/// Re-checks the staff session behind a live circuit every <see cref="StaffLoginOptions.RevalidationInterval"/>: after a
/// logout, a changed password, token or role, or a disabled account, the circuit ends instead of keeping the rights
/// it was opened with.
/// </summary>
public sealed class StaffRevalidatingStateProvider(ILoggerFactory loggerFactory, StaffSessions sessions, IOptions<StaffLoginOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => options.Value.RevalidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var user = authenticationState.User;
        if (user.Identity is not { IsAuthenticated: true }) return true;
        var state = await sessions.ValidateAsync(user.FindFirstValue(Schemes.SessionClaim), cancellationToken);
        return state is not null && (state.Role is not { } role || Schemes.RoleName(role) == user.FindFirstValue(ClaimTypes.Role));
    }
}
