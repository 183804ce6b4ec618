using System.Net;
using System.Net.Sockets;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>
/// A TCP relay from a free loopback port to a server, which can be cut the way a network partition cuts a link: no
/// connection is closed and nothing is refused, bytes just stop arriving (both ways, and on connections opened while
/// cut) until the link is healed, when what was held is delivered, as TCP's retransmissions would.
/// </summary>
public sealed class CuttableLink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _serverPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private TaskCompletionSource _open = Open();

    public CuttableLink(int serverPort)
    {
        _serverPort = serverPort;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Cut()
    {
        lock (_connections) if (_open.Task.IsCompleted) _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Heal()
    {
        lock (_connections) _open.TrySetResult();
    }

    private Task WhenOpen()
    {
        lock (_connections) return _open.Task;
    }

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = RelayAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        try
        {
            await WhenOpen().WaitAsync(_stop.Token);
            await server.ConnectAsync(IPAddress.Loopback, _serverPort, _stop.Token);
            lock (_connections) _connections.AddRange([client, server]);
            await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream()), PumpAsync(server.GetStream(), client.GetStream()));
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException or IOException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task PumpAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                await WhenOpen().WaitAsync(_stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections) foreach (var connection in _connections) connection.Dispose();
        _stop.Dispose();
    }
}
