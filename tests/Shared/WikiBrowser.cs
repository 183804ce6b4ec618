using System.Net;
using System.Text.Json;

namespace WikiSessions.Testing;

/// <summary>A wiki a browser can talk to: its dbname (cookie names start with it) and its address.</summary>
public interface IWikiSite
{
    string DbName { get; }
    Uri Server { get; }
    Uri Api => new(Server, "api.php");
}

/// <summary>A browser of one wiki over real HTTP: its own cookie jar, MediaWiki's action API.</summary>
public sealed class WikiBrowser : IDisposable
{
    private readonly HttpClient _http;
    private readonly IWikiSite _wiki;

    public WikiBrowser(IWikiSite wiki, CookieContainer? cookies = null)
    {
        _wiki = wiki;
        Cookies = cookies ?? new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public CookieContainer Cookies { get; }

    /// <summary>
    /// A second browser holding a copy of this one's cookies as they are now (what a stolen or restored cookie jar
    /// holds), less the wiki's cookies named by their suffix in <paramref name="without"/> (e.g. <c>Token</c>).
    /// </summary>
    public WikiBrowser Replay(params string[] without)
    {
        var copy = new CookieContainer();
        foreach (Cookie c in Cookies.GetAllCookies())
            if (!without.Any(suffix => c.Name == _wiki.DbName + suffix)) copy.Add(new Cookie(c.Name, c.Value, c.Path, c.Domain));
        return new WikiBrowser(_wiki, copy);
    }

    /// <summary>The value of one of this wiki's cookies, e.g. <c>_session</c> for <c>{dbname}_session</c>.</summary>
    public string? Cookie(string suffix) => Cookies.GetCookies(_wiki.Server)[_wiki.DbName + suffix]?.Value;

    public async Task<JsonElement> GetAsync(string query)
    {
        var answer = await _http.GetAsync(new Uri(_wiki.Api, $"?{query}&format=json&formatversion=2"));
        return await ReadAsync(answer, query);
    }

    public async Task<JsonElement> PostAsync(IDictionary<string, string> form)
    {
        form["format"] = "json";
        form["formatversion"] = "2";
        var answer = await _http.PostAsync(_wiki.Api, new FormUrlEncodedContent(form));
        return await ReadAsync(answer, form["action"]);
    }

    private async Task<JsonElement> ReadAsync(HttpResponseMessage answer, string what)
    {
        var body = await answer.Content.ReadAsStringAsync();
        if (answer.StatusCode != HttpStatusCode.OK)
            throw new InvalidOperationException($"{_wiki.DbName} answered {(int)answer.StatusCode} to {what}: {body}");
        var json = JsonSerializer.Deserialize<JsonElement>(body);
        if (json.TryGetProperty("error", out var error))
            throw new InvalidOperationException($"{_wiki.DbName} refused {what}: {error}");
        return json;
    }

    /// <summary>Logs in with <c>action=clientlogin</c> (the login form's API); returns MediaWiki's answer.</summary>
    public async Task LoginAsync(string user, bool rememberMe = false)
    {
        var token = (await GetAsync("action=query&meta=tokens&type=login")).GetProperty("query").GetProperty("tokens").GetProperty("logintoken").GetString()!;
        var form = new Dictionary<string, string>
        {
            ["action"] = "clientlogin",
            ["username"] = user,
            ["password"] = MediaWikiSetup.Password,
            ["logintoken"] = token,
            ["loginreturnurl"] = _wiki.Server.ToString(),
        };
        if (rememberMe) form["rememberMe"] = "1";
        var answer = (await PostAsync(form)).GetProperty("clientlogin");
        Assert.True(answer.GetProperty("status").GetString() == "PASS", $"clientlogin of {user} on {_wiki.DbName}: {answer}");
    }

    /// <summary>Who the wiki says this browser is: the user name, or null when anonymous.</summary>
    public async Task<string?> UserAsync()
    {
        var info = (await GetAsync("action=query&meta=userinfo")).GetProperty("query").GetProperty("userinfo");
        return info.TryGetProperty("anon", out var anon) && anon.ValueKind != JsonValueKind.False ? null : info.GetProperty("name").GetString();
    }

    /// <summary>Logs out with <c>action=logout</c>, a POST with the session's CSRF token.</summary>
    public async Task LogoutAsync()
    {
        var token = (await GetAsync("action=query&meta=tokens")).GetProperty("query").GetProperty("tokens").GetProperty("csrftoken").GetString()!;
        await PostAsync(new Dictionary<string, string> { ["action"] = "logout", ["token"] = token });
    }

    public void Dispose() => _http.Dispose();
}
