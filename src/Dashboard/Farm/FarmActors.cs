using System.Net;
using System.Text.Json;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Api;

namespace WikiSessions.Dashboard.Farm;

/// <summary>A request failed: the actor gives up, and the farm counts and logs it.</summary>
public sealed class FarmStepFailed(string step, string wiki, HttpStatusCode status, string? title)
    : Exception($"{step} on {wiki} answered {(int)status}: {title}")
{
    public string Step { get; } = step;
    public string Wiki { get; } = wiki;
    public HttpStatusCode Status { get; } = status;
    public string? Title { get; } = title;
}

/// <summary>
/// The people and programs of the farm. Each plays one life: a reader browsing anonymously, an editor who logs in and
/// wanders to other wikis, an app, a bot, an OAuth tool. <paramref name="pace"/> is awaited before every request, so
/// the farm's rate holds whatever the number of actors.
/// </summary>
public sealed class FarmActors(FarmApi api, Func<CancellationToken, ValueTask> pace)
{
    private FarmCatalog Farm => api.Catalog;

    private static readonly string[] DesktopAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    ];

    /// <summary>Starts a life, chosen in the farm's proportions.</summary>
    public Task LiveAsync(CancellationToken cancellationToken) => Random.Shared.Next(100) switch
    {
        < 35 => ReaderAsync(cancellationToken),
        < 68 when Farm.Users.Count > 0 => EditorAsync(cancellationToken),
        < 80 when Farm.Users.Count > 0 => AppAsync(cancellationToken),
        < 91 when Farm.Bots.Count > 0 => BotAsync(cancellationToken),
        >= 91 when Farm.Grants.Count > 0 => OAuthToolAsync(cancellationToken),
        _ => ReaderAsync(cancellationToken),
    };

    public SimulatedBrowser NewBrowser(string userAgent, bool secure) =>
        new(api, new ClientBody(RandomIp(), userAgent, secure), new CookieJar(TimeProvider.System));

    /// <summary>Reads a few pages without an account: no session is made, but the wikis see the traffic.</summary>
    public async Task ReaderAsync(CancellationToken cancellationToken)
    {
        var browser = NewBrowser(Pick(DesktopAgents), secure: true);
        for (var pages = Random.Shared.Next(2, 8); pages > 0; pages--)
            await Step("visit", Farm.RandomWiki().DbName, w => browser.VisitAsync(w, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// Logs in on the home wiki, wanders to other wikis (auto-login through the central session), edits, then mostly
    /// logs out globally; some go quiet and their sessions expire; a few hit an integration that logs out locally only.
    /// </summary>
    public async Task EditorAsync(CancellationToken cancellationToken)
    {
        var user = Farm.RandomUser();
        var browser = NewBrowser(Pick(DesktopAgents), secure: Random.Shared.Next(100) < 97);
        await Step("login", user.Home, w => browser.LoginAsync(w, user.Name, "cookie", cancellationToken, remember: Random.Shared.Next(100) < 20), cancellationToken);
        var visited = new List<string> { user.Home };
        if (Random.Shared.Next(100) < 3)
        {
            // A shared computer (T124224): another account's user cookie is left in the jar. The next request is not a
            // valid continuation of the session: the provider metadata conflicts and the session is rejected.
            var other = Farm.RandomUser();
            browser.Jar.Put(browser.Host(user.Home), $"{user.Home}UserName", other.Name, secure: browser.Client.Secure);
            await Step("visit", user.Home, w => browser.VisitAsync(w, cancellationToken), cancellationToken);
        }
        for (var pages = Random.Shared.Next(3, 12); pages > 0; pages--)
        {
            var wiki = Random.Shared.Next(100) < 85 ? Farm.RandomWikiOf(user) : Farm.RandomWiki().DbName;
            var page = await Step("visit", wiki, w => browser.VisitAsync(w, cancellationToken), cancellationToken);
            visited.Add(wiki);
            if (page.Session is { } session && Random.Shared.Next(100) < 20)
            {
                await pace(cancellationToken);
                var status = await browser.EditDataAsync(wiki, session.Id, d => d["lastEdit"] = JsonSerializer.SerializeToElement(DateTimeOffset.UtcNow), cancellationToken);
                if (status is not (HttpStatusCode.OK or HttpStatusCode.Conflict)) throw new FarmStepFailed("edit", wiki, status, null);
            }
        }

        var ending = Random.Shared.Next(100);
        if (ending < 25) return; // goes quiet: the session ends by itself after the idle timeout
        var where = Pick(visited);
        await Step("logout", where, w => browser.LogoutAsync(w, ending < 30 ? "local" : "global", cancellationToken), cancellationToken);
        if (ending < 30) await Step("visit", where, w => browser.VisitAsync(w, cancellationToken), cancellationToken);
    }

    /// <summary>A mobile app: remembered login on the home wiki, many API calls, some over plain HTTP; it never logs out.</summary>
    public async Task AppAsync(CancellationToken cancellationToken)
    {
        var user = Farm.RandomUser();
        var app = NewBrowser(Random.Shared.Next(2) == 0 ? "WikipediaApp/2.7.50 (Android 14; Phone)" : "WikipediaApp/7.6.2 (iOS 18.1; Phone)",
            secure: Random.Shared.Next(100) >= 30);
        await Step("login", user.Home, w => app.LoginAsync(w, user.Name, "cookie", cancellationToken, remember: true), cancellationToken);
        for (var calls = Random.Shared.Next(4, 15); calls > 0; calls--)
            await Step("visit", user.Home, w => app.VisitAsync(w, cancellationToken), cancellationToken);
    }

    /// <summary>A bot with a bot password: logs in, works through a batch with session data, sometimes logs out.</summary>
    public async Task BotAsync(CancellationToken cancellationToken)
    {
        var bot = Pick(Farm.Bots);
        var browser = NewBrowser($"{bot.AppId}/1.0 Pywikibot/9.5", secure: true);
        var login = await Step("login", bot.Home, w => browser.LoginAsync(w, bot.User, "botpassword", cancellationToken, appId: bot.AppId), cancellationToken);
        for (var calls = Random.Shared.Next(5, 20); calls > 0; calls--)
        {
            var visit = await Step("visit", bot.Home, w => browser.VisitAsync(w, cancellationToken), cancellationToken);
            // A bot paced out past the idle timeout (a busy machine) finds its session idled out: its life ends there, as
            // a real bot's would, instead of reading the data of a session it no longer has. Any other loss is a failure.
            if (visit.Session is null)
            {
                if (IdledOut(visit.Reason)) return;
                throw new FarmStepFailed("visit", bot.Home, HttpStatusCode.OK, visit.Reason);
            }
            if (Random.Shared.Next(100) < 15)
            {
                await pace(cancellationToken);
                await browser.EditDataAsync(bot.Home, login.Session.Id, d => d["batch"] = JsonSerializer.SerializeToElement(calls), cancellationToken);
            }
        }
        if (Random.Shared.Next(100) < 30)
            await Step("logout", bot.Home, w => browser.LogoutAsync(w, "local", cancellationToken), cancellationToken);
    }

    /// <summary>An OAuth tool acting for a user: one authorization, requests on several of the user's wikis.</summary>
    public async Task OAuthToolAsync(CancellationToken cancellationToken)
    {
        var grant = Pick(Farm.Grants);
        var user = Farm.User(grant.User);
        var tool = NewBrowser($"{grant.Consumer.Replace(' ', '-')}/2.1 (Toolforge)", secure: true);
        await Step("login", grant.Home, w => tool.LoginAsync(w, grant.User, "oauth", cancellationToken, consumer: grant.Consumer), cancellationToken);
        for (var calls = Random.Shared.Next(3, 10); calls > 0; calls--)
            await Step("visit", Farm.RandomWikiOf(user), w => tool.VisitAsync(w, cancellationToken), cancellationToken);
    }

    private async Task<T> Step<T>(string step, string wiki, Func<string, Task<ApiReply<T>>> call, CancellationToken cancellationToken)
    {
        await pace(cancellationToken);
        var reply = await call(wiki);
        return reply.Succeeded ? reply.Value! : throw new FarmStepFailed(step, wiki, reply.Status, reply.Title);
    }

    /// <summary>The resolve's answer for a session that idled out, whether or not the sweeper has deleted it yet.</summary>
    private static bool IdledOut(string? reason) =>
        reason is not null && (reason.EndsWith(EndReasons.Describe(EndReason.Idle), StringComparison.Ordinal) || reason.Contains("expired and was swept", StringComparison.Ordinal));

    private static T Pick<T>(IReadOnlyList<T> items) => items[Random.Shared.Next(items.Count)];

    /// <summary>An address in the documentation ranges (RFC 5737), so the demo never names a real host.</summary>
    public static string RandomIp() => Random.Shared.Next(3) switch
    {
        0 => $"192.0.2.{Random.Shared.Next(1, 255)}",
        1 => $"198.51.100.{Random.Shared.Next(1, 255)}",
        _ => $"203.0.113.{Random.Shared.Next(1, 255)}",
    };
}
