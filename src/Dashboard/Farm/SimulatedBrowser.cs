using System.Net;
using System.Text.Json;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Api;

namespace WikiSessions.Dashboard.Farm;

/// <summary>
/// One browser, app, bot or tool, as the wiki servers it visits see it: its address, user agent, whether it came over
/// TLS, and its cookie jar. Each call goes through the API the way the wiki would make it, and applies what was set.
/// </summary>
public sealed class SimulatedBrowser(FarmApi api, ClientBody client, CookieJar jar)
{
    public ClientBody Client { get; set; } = client;
    public CookieJar Jar => jar;

    /// <summary>The Authorization header an OAuth tool sends, once it has logged in.</summary>
    public string? Authorization { get; set; }

    public string Host(string wiki) => api.Catalog.Hosts[wiki];

    public Dictionary<string, string> CookiesFor(string wiki) => jar.For(Host(wiki), Client.Secure);

    public Dictionary<string, string>? CentralCookies()
    {
        var central = jar.For(api.Catalog.CentralHost, Client.Secure);
        return central.Count == 0 ? null : central;
    }

    public async Task<ApiReply<LoginResult>> LoginAsync(
        string wiki, string user, string provider, CancellationToken cancellationToken, bool remember = false, string? appId = null, string? consumer = null)
    {
        var reply = await api.LoginAsync(wiki, new LoginBody(user, provider, remember, appId, consumer, Client, CookiesFor(wiki), CentralCookies()), cancellationToken);
        if (reply.Value is { } login)
        {
            jar.Apply(login.SetCookies);
            if (login.Authorization is not null) Authorization = login.Authorization;
        }
        return reply;
    }

    /// <summary>A page view: the wiki resolves the session, running the auto-login check with the central cookies.</summary>
    public async Task<ApiReply<ResolveResult>> VisitAsync(string wiki, CancellationToken cancellationToken)
    {
        var reply = await api.ResolveAsync(wiki, new ResolveBody(CookiesFor(wiki), CentralCookies(), Authorization, Client), cancellationToken);
        if (reply.Value is { } resolved) jar.Apply(resolved.SetCookies);
        return reply;
    }

    public async Task<ApiReply<LogoutResponse>> LogoutAsync(string wiki, string scope, CancellationToken cancellationToken)
    {
        var reply = await api.LogoutAsync(wiki, new LogoutBody(CookiesFor(wiki), CentralCookies(), scope, Client), cancellationToken);
        if (reply.Value is { } logout) jar.Apply(logout.SetCookies);
        return reply;
    }

    /// <summary>Reads the session's data and writes it back changed, as an edit form would; a 409 is a lost race, not an error.</summary>
    public async Task<HttpStatusCode> EditDataAsync(string wiki, string sessionId, Action<Dictionary<string, JsonElement>> change, CancellationToken cancellationToken)
    {
        var read = await api.GetDataAsync(wiki, sessionId, cancellationToken);
        if (read.Value is not { } current) return read.Status;
        var data = current.Data.Deserialize<Dictionary<string, JsonElement>>(FarmApi.Json) ?? [];
        change(data);
        var write = await api.PutDataAsync(wiki, sessionId, current.Version, JsonSerializer.SerializeToElement(data, FarmApi.Json), cancellationToken);
        return write.Status;
    }

    /// <summary>The session ID the browser holds for a wiki (cookie or bot password session), if any.</summary>
    public string? SessionIdOn(string wiki) =>
        jar.Value(Host(wiki), $"{wiki}_session") ?? jar.Value(Host(wiki), $"{wiki}_BPsession");
}
