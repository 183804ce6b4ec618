using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Farm;

/// <summary>
/// A browser's cookies, per host, kept the way a browser keeps them: a <see cref="SetCookie"/> with an empty value or
/// an expiry in the past deletes the cookie, expired cookies are not sent, and a secure cookie is sent over TLS only.
/// A buggy client can be simulated by turning off <see cref="HonoursExpiry"/> and <see cref="HonoursDeletion"/>.
/// </summary>
public sealed class CookieJar(TimeProvider time)
{
    private sealed record Stored(string Value, DateTimeOffset? ExpiresAt, bool Secure);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Stored>> _hosts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>False for an app that keeps sending cookies past their expiry.</summary>
    public bool HonoursExpiry { get; init; } = true;

    /// <summary>False for an app that ignores the server's deletions.</summary>
    public bool HonoursDeletion { get; init; } = true;

    /// <summary>Applies the cookies a response set or cleared.</summary>
    public void Apply(IEnumerable<SetCookie> cookies)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var cookie in cookies)
            {
                var host = Host(cookie.Host);
                if (cookie.Value.Length == 0 || cookie.ExpiresAt <= now)
                {
                    if (HonoursDeletion) host.Remove(cookie.Name);
                    continue;
                }
                host[cookie.Name] = new Stored(cookie.Value, cookie.ExpiresAt, cookie.Secure);
            }
        }
    }

    /// <summary>Puts a cookie in the jar as it is, the way a stale or tampered browser profile holds one.</summary>
    public void Put(string host, string name, string value, bool secure = false, DateTimeOffset? expiresAt = null)
    {
        lock (_gate) Host(host)[name] = new Stored(value, expiresAt, secure);
    }

    /// <summary>The cookies the browser sends to <paramref name="host"/> over TLS or plain HTTP.</summary>
    public Dictionary<string, string> For(string host, bool overTls)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_hosts.TryGetValue(host, out var cookies)) return [];
            return cookies
                .Where(c => (overTls || !c.Value.Secure) && (!HonoursExpiry || c.Value.ExpiresAt is not { } expires || expires > now))
                .ToDictionary(c => c.Key, c => c.Value.Value, StringComparer.Ordinal);
        }
    }

    /// <summary>The value of one cookie, sent or not.</summary>
    public string? Value(string host, string name)
    {
        lock (_gate) return _hosts.TryGetValue(host, out var cookies) && cookies.TryGetValue(name, out var c) ? c.Value : null;
    }

    /// <summary>Whether the jar holds a cookie on <paramref name="host"/> with the secure flag.</summary>
    public bool IsSecure(string host, string name)
    {
        lock (_gate) return _hosts.TryGetValue(host, out var cookies) && cookies.TryGetValue(name, out var c) && c.Secure;
    }

    /// <summary>Moves every expiry back, as if the cookies had sat in the jar for <paramref name="age"/>.</summary>
    public void Age(TimeSpan age)
    {
        lock (_gate)
        {
            foreach (var cookies in _hosts.Values)
                foreach (var (name, c) in cookies.ToList())
                    cookies[name] = c with { ExpiresAt = (c.ExpiresAt ?? time.GetUtcNow()) - age };
        }
    }

    /// <summary>The browser was closed: cookies without an expiry are gone.</summary>
    public void CloseBrowser()
    {
        lock (_gate)
        {
            foreach (var cookies in _hosts.Values)
                foreach (var name in cookies.Where(c => c.Value.ExpiresAt is null).Select(c => c.Key).ToList())
                    cookies.Remove(name);
        }
    }

    private Dictionary<string, Stored> Host(string host)
    {
        if (!_hosts.TryGetValue(host, out var cookies)) _hosts[host] = cookies = new(StringComparer.Ordinal);
        return cookies;
    }
}
