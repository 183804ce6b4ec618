using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Components.Shared;

/// <summary>
/// The one door every console action goes through. A circuit keeps the login it was opened with until its next
/// revalidation (<see cref="StaffLoginOptions.RevalidationInterval"/>); an action must not wait for that, so the staff
/// session and its role are checked again in the store when the action runs. An ended session changes nothing and
/// sends the tab to the login page.
/// </summary>
public sealed class StaffActions(AuthenticationStateProvider authentication, StaffSessions sessions, NavigationManager navigation)
{
    public const string Ended = "Your staff login has ended (logged out in another tab, expired, or the account changed); nothing was changed. Log in again.";

    /// <summary>Runs <paramref name="action"/> as the staff member the store still knows, with the role the account has now.</summary>
    /// <exception cref="SessionException">Forbidden: the staff session ended; the action did not run.</exception>
    public async Task<T> RunAsync<T>(Func<StaffActor, Task<T>> action, CancellationToken cancellationToken = default)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var state = await sessions.ValidateAsync(user.FindFirstValue(Schemes.SessionClaim), cancellationToken);
        if (state is null || (state.Role is { } role && Schemes.RoleName(role) != user.FindFirstValue(ClaimTypes.Role)))
        {
            var here = "/" + navigation.ToBaseRelativePath(navigation.Uri);
            navigation.NavigateTo($"/login?returnUrl={Uri.EscapeDataString(here)}", forceLoad: true);
            throw new SessionException(Failure.Forbidden, Ended);
        }
        return await action(new StaffActor(state.Name, state.Role ?? user.Actor().Role));
    }

    /// <inheritdoc cref="RunAsync{T}(Func{StaffActor, Task{T}}, CancellationToken)"/>
    public Task RunAsync(Func<StaffActor, Task> action, CancellationToken cancellationToken = default) =>
        RunAsync(async actor => { await action(actor); return true; }, cancellationToken);
}
