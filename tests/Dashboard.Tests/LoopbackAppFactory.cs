using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace WikiSessions.Dashboard.Tests;

/// <summary>
/// The real app on a real Kestrel socket on 127.0.0.1 and a free port, for clients that need real HTTP over
/// loopback: SignalR clients, the demo farm and the replays.
/// </summary>
public class LoopbackAppFactory : AppFactory
{
    private Uri? _address;

    /// <summary>The app's own address; starts the server on first use.</summary>
    public Uri Address => _address ??= Start();

    private Uri Start()
    {
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }

    /// <summary>A real HTTP client on the loopback socket with a bearer token.</summary>
    public HttpClient Loopback(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static string WikiKey(string wiki) => Credentials.WikiKeys[wiki];

    public static string StaffToken(string role) => Credentials.Staff.Single(s => s.Role == role).Token;
}
