using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// The hub's open connections on this instance, each with the client method its batches arrive on, so the live feed
/// can find and close one that stopped reading: a group send names no connection.
/// </summary>
public sealed class HubConnections
{
    private readonly ConcurrentDictionary<string, (HubCallerContext Context, string Method)> _connections = new();

    public void Add(HubCallerContext context, string method) => _connections[context.ConnectionId] = (context, method);

    public void Remove(string connectionId) => _connections.TryRemove(connectionId, out _);

    public IReadOnlyList<(HubCallerContext Context, string Method)> All => [.. _connections.Values];
}
