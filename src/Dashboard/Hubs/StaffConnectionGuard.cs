using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// Closes staff hub connections whose credential no longer holds, checked every
/// <see cref="StaffLoginOptions.RevalidationInterval"/>: a cookie connection's staff session (logout, stamp change,
/// disabled account), a token connection's token (changed, its account disabled, or its role changed).
/// </summary>
public sealed class StaffConnectionGuard(
    StaffSessions sessions, StaffDirectory staff, IOptions<StaffLoginOptions> options, TimeProvider time, ILogger<StaffConnectionGuard> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _connections = new();

    public void Watch(HubCallerContext connection) => _connections[connection.ConnectionId] = connection;

    public void Forget(string connectionId) => _connections.TryRemove(connectionId, out _);

    /// <summary>Checks every watched connection once; returns how many were closed.</summary>
    public async Task<int> CheckAllAsync(CancellationToken cancellationToken = default)
    {
        var closed = 0;
        foreach (var (id, connection) in _connections)
        {
            if (await IsValidAsync(connection.User, cancellationToken)) continue;
            Forget(id);
            connection.Abort();
            closed++;
        }
        if (closed > 0) logger.LogInformation("Closed {Connections} staff hub connections whose login or token ended", closed);
        return closed;
    }

    private async Task<bool> IsValidAsync(ClaimsPrincipal? user, CancellationToken cancellationToken)
    {
        if (user?.FindFirstValue(Schemes.TokenHashClaim) is { } tokenHash)
            return await staff.VerifyTokenHashAsync(tokenHash, cancellationToken) is { } actor && user.IsInRole(Schemes.RoleName(actor.Role));
        var state = await sessions.ValidateAsync(user?.FindFirstValue(Schemes.SessionClaim), cancellationToken);
        return state is not null && (state.Role is not { } role || user!.IsInRole(Schemes.RoleName(role)));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RevalidationInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await CheckAllAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Re-checking staff hub connections failed; the next check runs in {Interval}", options.Value.RevalidationInterval);
            }
        }
    }
}
