using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WikiSessions.Testing;

/// <summary>
/// A hub client that joins the live feed and then never reads a byte: a raw WebSocket on a socket with a tiny receive
/// buffer. It keeps pinging, so the server cannot tell it from a client on a very slow link.
/// </summary>
public sealed class SlowHubClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pings;

    private SlowHubClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket);
        _pings = PingAsync(_stop.Token);
    }

    public static async Task<SlowHubClient> ConnectAsync(Uri address, string token)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 2048 };
        await socket.ConnectAsync(IPAddress.Loopback, address.Port);
        var request = $"GET /hubs/sessions?access_token={Uri.EscapeDataString(token)} HTTP/1.1\r\nHost: {address.Authority}\r\n" +
            $"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(request));
        // Only the upgrade's headers are read; after that, nothing.
        var headers = new StringBuilder();
        var one = new byte[1];
        while (!headers.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await socket.ReceiveAsync(one) == 0) throw new IOException("The hub closed the connection during the upgrade: " + headers);
            headers.Append((char)one[0]);
        }
        if (!headers.ToString().StartsWith("HTTP/1.1 101", StringComparison.Ordinal)) throw new IOException("The hub refused the WebSocket: " + headers);
        var client = new SlowHubClient(socket);
        await client.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e");
        return client;
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken)) await SendAsync("{\"type\":6}\u001e");
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException)
        {
        }
    }

    /// <summary>One masked text frame, as a WebSocket client must send.</summary>
    private async Task SendAsync(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        var mask = RandomNumberGenerator.GetBytes(4);
        var frame = new List<byte> { 0x81, (byte)(0x80 | payload.Length) };
        frame.AddRange(mask);
        frame.AddRange(payload.Select((b, i) => (byte)(b ^ mask[i % 4])));
        await _stream.WriteAsync(frame.ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pings;
        _socket.Dispose();
        _stop.Dispose();
    }
}
