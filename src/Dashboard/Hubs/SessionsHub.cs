using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// The live feed. Clients only listen: staff get <see cref="NoticeBatch"/>es as <c>notices</c>, wiki servers get
/// their own wiki's <see cref="InvalidationBatch"/>es as <c>invalidations</c>. The policy on the route refuses
/// anyone else before the hub runs; <see cref="StaffConnectionGuard"/> closes a staff connection once its login or token ends.
/// </summary>
public sealed class SessionsHub(StaffConnectionGuard guard, HubConnections connections) : Hub
{
    public override async Task OnConnectedAsync()
    {
        var user = Context.User ?? new ClaimsPrincipal();
        if (user.FindFirstValue(Schemes.WikiClaim) is { } wiki)
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, LiveFeed.WikiGroup(wiki));
            await Groups.AddToGroupAsync(Context.ConnectionId, LiveFeed.AllWikisGroup);
            connections.Add(Context, LiveFeed.WikiMethod);
        }
        else if (user.IsInRole("steward") || user.IsInRole("developer") || user.IsInRole("support"))
        {
            guard.Watch(Context);
            await Groups.AddToGroupAsync(Context.ConnectionId, LiveFeed.StaffGroup);
            if (!user.IsInRole("support")) await Groups.AddToGroupAsync(Context.ConnectionId, LiveFeed.AlertsGroup);
            connections.Add(Context, LiveFeed.StaffMethod);
        }
        else
        {
            Context.Abort();
            return;
        }
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        guard.Forget(Context.ConnectionId);
        connections.Remove(Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }
}
