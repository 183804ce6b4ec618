namespace WikiSessions.Core.Tests;

/// <summary>One step of a generated scenario. Each prints as a sentence, so a shrunk failure reads as a story.</summary>
public abstract record Op;

public sealed record Login(int Browser, int User, string Wiki) : Op
{
    public override string ToString() => $"browser {Browser} logs {Farm.Short(User)} in on {Wiki}{(Farm.Remembers(Browser) ? " (remember me)" : "")}";
}

public sealed record BotLogin(int User, string Wiki) : Op
{
    public override string ToString() => $"{Farm.Short(User)}'s bot logs in on {Wiki}";
}

public sealed record OAuthLogin(int App, int User, string Wiki) : Op
{
    public override string ToString() => $"app {App} gets an OAuth authorization of {Farm.Short(User)} on {Wiki}";
}

public sealed record Visit(int Browser, string Wiki) : Op
{
    public override string ToString() => $"browser {Browser} visits {Wiki}";
}

public sealed record BotRequest(int User, string Wiki) : Op
{
    public override string ToString() => $"{Farm.Short(User)}'s bot sends a request to {Wiki}";
}

public sealed record AppRequest(int App, string Wiki) : Op
{
    public override string ToString() => $"app {App} sends a request to {Wiki}";
}

public sealed record Logout(int Browser, string Wiki, LogoutScope Scope) : Op
{
    public override string ToString() => $"browser {Browser} logs out on {Wiki} ({Scope.ToString().ToLowerInvariant()})";
}

/// <summary>How far a steward's revoke reaches: the whole browser (the default) or the one session.</summary>
public enum Reach { Browser, Session }

/// <summary><c>Pick</c> chooses, at run time, among the sessions the model knows to be active.</summary>
public sealed record Revoke(int Pick, Reach Reach) : Op
{
    public override string ToString() => $"a steward revokes active session #{Pick} (scope {Reach.ToString().ToLowerInvariant()})";
}

public sealed record InvalidateUser(int User) : Op
{
    public override string ToString() => $"a steward invalidates {Farm.Short(User)}";
}

public sealed record InvalidateEveryone : Op
{
    public override string ToString() => "a steward invalidates everyone";
}

public sealed record Prevent(int User) : Op
{
    public override string ToString() => $"a steward prevents {Farm.Short(User)}";
}

public sealed record RevokeGrant(int User) : Op
{
    public override string ToString() => $"{Farm.Short(User)}'s OAuth grant to {Farm.Consumer} is revoked";
}

public sealed record RevokeBotPassword(int User) : Op
{
    public override string ToString() => $"{Farm.Short(User)}'s bot password is revoked";
}

public sealed record Wait(TimeSpan For) : Op
{
    public override string ToString() => For.TotalDays >= 1 ? $"{For.TotalDays:0} days pass" : $"{(int)For.TotalMinutes}m{For.Seconds:00}s pass";
}

/// <summary>The fixed cast of the scenarios: users, browsers, wikis.</summary>
public static class Farm
{
    public static readonly string[] Users = [TestFarm.Alice, TestFarm.Bob, TestFarm.Carol];
    public static string Short(int user) => Users[user]["Sandbox ".Length..];
    public const string Consumer = "SandboxTool";
    public const string AppId = "sandboxbot";

    /// <summary>Browsers 1 and 3 always tick "remember me", 0 and 2 never: a browser's central session and local sessions then share one lifetime.</summary>
    public static bool Remembers(int browser) => browser % 2 == 1;
    /// <summary>Browsers 2 and 3 ignore cookie deletions and keep sending the old values.</summary>
    public static bool IsStale(int browser) => browser >= 2;
    public const int Browsers = 4;
    public const int Apps = 3;

    public static readonly string[] Wikis = ["enwiki", "dewiki", "frwiki", "arbcom_enwiki", "aawiki"];
    public const string Private = "arbcom_enwiki";
    public const string Closed = "aawiki";

    public static string Host(string wiki) => wiki switch
    {
        "enwiki" => "en.wikipedia.org",
        "dewiki" => "de.wikipedia.org",
        "frwiki" => "fr.wikipedia.org",
        "arbcom_enwiki" => "arbcom-en.wikipedia.org",
        "aawiki" => "aa.wikipedia.org",
        _ => throw new ArgumentOutOfRangeException(nameof(wiki)),
    };

    /// <summary>Only Alice is a member of the private wiki; nobody may use the closed one.</summary>
    public static bool MayUse(int user, string wiki) => wiki switch
    {
        Closed => false,
        Private => user == 0,
        _ => true,
    };
}

public sealed class ModelSession
{
    public required string Id { get; init; }
    public required string Wiki { get; init; }
    public required int User { get; init; }
    /// <summary>Who holds its cookie: "browser 2" or "bot".</summary>
    public required string Holder { get; init; }
    public required bool Bot { get; init; }
    public required string Origin { get; init; }
    public string? CentralId { get; init; }
    public ModelToken? FromToken { get; init; }
    public bool Remember { get; init; }
    public DateTimeOffset LastActivity { get; set; }
    public bool Ended { get; set; }
}

/// <summary>
/// A central session. Whether a login that reuses it refreshes its activity is not settled by the semantics, so
/// the model keeps its last activity in both readings (A: it does, B: it does not) until the engine shows which.
/// </summary>
public sealed class ModelCentral
{
    public required string Id { get; init; }
    public required int User { get; init; }
    public required bool Remember { get; init; }
    public DateTimeOffset LastActivityA { get; set; }
    public DateTimeOffset LastActivityB { get; set; }
    public bool Ended { get; set; }
    /// <summary>The browser it belongs to: a login joins the browser its cookies name.</summary>
    public required string Browser { get; set; }
}

public sealed class ModelToken
{
    public required int Browser { get; init; }
    public required string Wiki { get; init; }
    public required string UserIdCookie { get; init; }
    public required string Value { get; init; }
    public required int User { get; init; }
    public string? CentralId { get; init; }
    public required DateTimeOffset IssuedAt { get; init; }
    public bool Ended { get; set; }
}

public sealed class ModelAuthorization
{
    public required int User { get; init; }
    public bool Ended { get; set; }
}

/// <summary>What a browser's request must resolve to, and through which credential.</summary>
public sealed record Expected(string Branch, int? User, ModelSession? Session = null, ModelToken? Token = null, ModelCentral? Central = null, bool Uncertain = false)
{
    public static readonly Expected Nothing = new("none", null);
}

/// <summary>
/// The reference model of the promise: which credentials are alive, following the target semantics. It never reads
/// the engine's store; it learns session IDs and cookie values only from the engine's answers.
/// </summary>
public sealed class PromiseModel
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan RememberDuration = TimeSpan.FromDays(30);

    public DateTimeOffset Now { get; set; }
    public List<ModelSession> Sessions { get; } = [];
    public Dictionary<string, ModelCentral> Centrals { get; } = [];
    public List<ModelToken> Tokens { get; } = [];
    public ModelAuthorization?[] Authorizations { get; } = new ModelAuthorization?[Farm.Apps];
    public bool[] Prevented { get; } = new bool[Farm.Users.Length];
    public bool[] GrantRevoked { get; } = new bool[Farm.Users.Length];
    public bool[] BotPasswordRevoked { get; } = new bool[Farm.Users.Length];
    /// <summary>Null until the engine shows whether a login that reuses a central session refreshes its activity.</summary>
    public bool? LoginRefreshesCentral { get; set; }

    private static TimeSpan Lifetime(bool remember) => remember ? RememberDuration : IdleTimeout;

    public bool IsAlive(ModelSession s) => !s.Ended && Now < s.LastActivity + Lifetime(s.Remember);

    public bool IsAlive(ModelToken t) => !t.Ended && Now < t.IssuedAt + RememberDuration;

    /// <summary>True, false, or null when the two readings of a login's refresh disagree.</summary>
    public bool? IsAlive(ModelCentral c)
    {
        if (c.Ended) return false;
        var a = Now < c.LastActivityA + Lifetime(c.Remember);
        var b = Now < c.LastActivityB + Lifetime(c.Remember);
        return LoginRefreshesCentral switch { true => a, false => b, null => a == b ? a : null };
    }

    public bool MayLogIn(int user, string wiki) => Farm.MayUse(user, wiki) && !Prevented[user];

    public ModelSession? SessionById(string? id, string wiki, bool bot) =>
        id is null ? null : Sessions.FirstOrDefault(s => s.Id == id && s.Wiki == wiki && s.Bot == bot);

    public ModelCentral? CentralById(string? id) => id is not null && Centrals.TryGetValue(id, out var c) ? c : null;

    /// <summary>The token this browser was given under these cookie values; tokens are per login, even when two logins get equal values.</summary>
    public ModelToken? TokenOf(int browser, string wiki, string? userIdCookie, string? value) =>
        userIdCookie is null || value is null ? null
            : Tokens.LastOrDefault(t => t.Browser == browser && t.Wiki == wiki && t.UserIdCookie == userIdCookie && t.Value == value);

    /// <summary>Rule 2: the session cookie, else the remember-me token, else the central session (auto-login).</summary>
    public Expected ExpectBrowser(int browser, string wiki, IReadOnlyDictionary<string, string> cookies, IReadOnlyDictionary<string, string> central)
    {
        var session = SessionById(cookies.GetValueOrDefault($"{wiki}_session"), wiki, bot: false);
        if (session is not null && IsAlive(session))
            return new Expected("session", session.User, Session: session);
        var token = TokenOf(browser, wiki, cookies.GetValueOrDefault($"{wiki}UserID"), cookies.GetValueOrDefault($"{wiki}Token"));
        if (token is not null && IsAlive(token))
            return new Expected("remember-me", token.User, Token: token);
        var carried = CentralById(central.GetValueOrDefault(CookieRules.CentralSession));
        if (carried is not null && Farm.MayUse(carried.User, wiki) && IsAlive(carried) is var alive and not false)
            return new Expected("auto-login", carried.User, Central: carried, Uncertain: alive is null);
        return Expected.Nothing;
    }

    public void RefreshCentral(string? id)
    {
        if (CentralById(id) is not { Ended: false } c) return;
        if (Now < c.LastActivityA + Lifetime(c.Remember)) c.LastActivityA = Now;
        if (Now < c.LastActivityB + Lifetime(c.Remember)) c.LastActivityB = Now;
    }

    /// <summary>A login reused the central session: in reading A that refreshes it.</summary>
    public void TouchCentralByLogin(ModelCentral c)
    {
        if (Now < c.LastActivityA + Lifetime(c.Remember)) c.LastActivityA = Now;
    }

    public ModelCentral AddCentral(string id, int user, bool remember)
    {
        var c = new ModelCentral { Id = id, User = user, Remember = remember, LastActivityA = Now, LastActivityB = Now, Browser = id };
        Centrals[id] = c;
        return c;
    }

    public ModelSession AddSession(string id, string wiki, int user, string holder, string origin, bool bot = false, string? centralId = null, ModelToken? fromToken = null, bool remember = false)
    {
        var s = new ModelSession
        {
            Id = id, Wiki = wiki, User = user, Holder = holder, Bot = bot, Origin = origin, CentralId = centralId, FromToken = fromToken, Remember = remember, LastActivity = Now,
        };
        Sessions.Add(s);
        return s;
    }

    public void AddToken(int browser, string wiki, string userIdCookie, string value, int user, string? centralId) =>
        Tokens.Add(new ModelToken { Browser = browser, Wiki = wiki, UserIdCookie = userIdCookie, Value = value, User = user, CentralId = centralId, IssuedAt = Now });

    /// <summary>
    /// A login's central session joins the browser of the central sessions of the same user that its cookies
    /// name (the central cookie, the wiki's session cookie, its remember-me token), whatever their state; the browsers
    /// they name become one.
    /// </summary>
    public void JoinBrowser(ModelCentral central, IEnumerable<ModelCentral?> named)
    {
        var browsers = named.OfType<ModelCentral>().Where(c => c.User == central.User).Select(c => c.Browser).Append(central.Browser).ToHashSet();
        foreach (var c in Centrals.Values.Where(c => browsers.Contains(c.Browser))) c.Browser = central.Browser;
    }

    /// <summary>Rules 5 and 6: the browsers' central sessions, every session linked to them, their tokens and the sessions restored from those.</summary>
    public void EndBrowsers(IEnumerable<string?> centralIds, IEnumerable<ModelToken?> alsoTokens)
    {
        var ids = centralIds.OfType<string>().ToHashSet();
        var browsers = ids.Select(CentralById).OfType<ModelCentral>().Select(c => c.Browser).ToHashSet();
        ids.UnionWith(Centrals.Values.Where(c => browsers.Contains(c.Browser)).Select(c => c.Id));
        foreach (var id in ids)
            if (CentralById(id) is { } c) c.Ended = true;
        var tokens = Tokens.Where(t => t.CentralId is not null && ids.Contains(t.CentralId)).Concat(alsoTokens.OfType<ModelToken>()).ToHashSet();
        foreach (var t in tokens) t.Ended = true;
        foreach (var s in Sessions.Where(s => s.CentralId is not null && ids.Contains(s.CentralId) || s.FromToken is not null && tokens.Contains(s.FromToken)))
            s.Ended = true;
    }

    /// <summary>Rule 7: every session, central session, token and authorization of the user (or of everyone).</summary>
    public void EndEverythingOf(Func<int, bool> whose)
    {
        foreach (var s in Sessions.Where(s => whose(s.User))) s.Ended = true;
        foreach (var c in Centrals.Values.Where(c => whose(c.User))) c.Ended = true;
        foreach (var t in Tokens.Where(t => whose(t.User))) t.Ended = true;
        foreach (var a in Authorizations.OfType<ModelAuthorization>().Where(a => whose(a.User))) a.Ended = true;
    }

    /// <summary>Sessions a steward may revoke with this reach. A restored session's own central session is not defined, so it is only revoked alone.</summary>
    public List<ModelSession> Revocable(Reach reach) =>
        Sessions.Where(s => IsAlive(s) && (reach == Reach.Session || s.Bot || s.CentralId is not null)).ToList();
}
