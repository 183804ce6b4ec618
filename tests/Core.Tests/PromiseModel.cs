namespace WikiSessions.Core.Tests;

/// <summary>
/// docs/promise.md as a small program: which credentials are alive, and what each action ends and leaves. It is written
/// from that page alone. It never reads the engine's store and never asks the engine what a rule is; it learns only
/// session IDs and cookie values, from the engine's answers, as a wiki would.
/// </summary>
public sealed class PromiseModel
{
    // The settings the test farm runs with (SessionOptions' defaults).
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan RememberDuration = TimeSpan.FromDays(30);
    public static readonly TimeSpan ActivityWriteInterval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    public DateTimeOffset Now { get; set; }
    public List<Session> Sessions { get; } = [];
    public Dictionary<string, Central> Centrals { get; } = [];
    public List<Token> Tokens { get; } = [];
    /// <summary>The authorization each tool holds (the latest it was given).</summary>
    public Authorization?[] Authorizations { get; } = new Authorization?[Farm.Apps];
    /// <summary>The session in the MediaWiki store under each key of the model's MediaWiki wiki.</summary>
    public Session?[] Keys { get; } = new Session?[Farm.StoreKeys];
    public bool[] Prevented { get; } = new bool[Farm.Users.Length];
    /// <summary>Locked: barred as a prevented user is, until an unlock; the credentials are kept.</summary>
    public bool[] Locked { get; } = new bool[Farm.Users.Length];
    public bool[] GrantRevoked { get; } = new bool[Farm.Users.Length];
    public bool[] BotPasswordRevoked { get; } = new bool[Farm.Users.Length];

    public enum Kind { Cookie, Bot, OAuth, MediaWiki }

    public sealed class Session
    {
        public required string Id { get; init; }
        public required string Wiki { get; init; }
        public required int User { get; set; }
        public required Kind Kind { get; init; }
        /// <summary>login, auto-login, restored, bot password, OAuth, MediaWiki.</summary>
        public required string Origin { get; init; }
        /// <summary>The central session it is linked to: the login's, the auto-login's, or the one its token was issued with.</summary>
        public Central? Central { get; init; }
        public Token? FromToken { get; init; }
        public Authorization? Authorization { get; init; }
        public bool Remember { get; set; }
        public DateTimeOffset LastActivity { get; set; }
        /// <summary>MediaWiki's own expiry (<c>metadata.expires</c>); other sessions idle out from their last activity.</summary>
        public DateTimeOffset? ExpiresAt { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        /// <summary>It had idled out when an invalidation reached it: expired, not ended on purpose.</summary>
        public bool LapsedBeforeInvalidation { get; set; }
        public int Number { get; init; }
    }

    public sealed class Central
    {
        public required string Id { get; init; }
        public required int User { get; init; }
        public required bool Remember { get; init; }
        public DateTimeOffset LastActivity { get; set; }
        public DateTimeOffset? EndedAt { get; set; }
        /// <summary>The browser: central sessions joined by the cookies their logins carried share one.</summary>
        public required BrowserLineage Browser { get; set; }
    }

    /// <summary>A browser; <c>Unlinked</c>: one of its logins was sent no cookie fields, so it may have held more than we know.</summary>
    public sealed class BrowserLineage
    {
        public bool Unlinked { get; set; }
    }

    public sealed class Token
    {
        public required string Wiki { get; init; }
        public required string Value { get; init; }
        /// <summary>The <c>{wiki}UserID</c> cookie it was issued with: the credential is the pair.</summary>
        public required string? UserIdCookie { get; init; }
        public required int User { get; init; }
        public Central? Central { get; init; }
        public required DateTimeOffset IssuedAt { get; init; }
        public DateTimeOffset? EndedAt { get; set; }
    }

    /// <summary>
    /// What a tool sends: a MAC over the grant, its authorization generation, the user token and the farm epoch. Two
    /// OAuth logins with none of those moved on get the same authorization.
    /// </summary>
    public sealed class Authorization
    {
        public required int User { get; init; }
        public DateTimeOffset? EndedAt { get; set; }
    }

    // ---- The validity rule: not ended, not expired (the farm epoch, the user token, a prevented user and a closed
    // wiki end things at the moment they change, so the model ends them then) ----

    public bool IsAlive(Session s) => s.EndedAt is null && Now < Expiry(s)
        && (s.Authorization is null || s.Authorization.EndedAt is null);

    public DateTimeOffset Expiry(Session s) => s.ExpiresAt ?? s.LastActivity + Lifetime(s.Remember);

    public bool IsAlive(Central c) => c.EndedAt is null && Now < c.LastActivity + Lifetime(c.Remember);

    public bool IsAlive(Token t) => t.EndedAt is null && Now < t.IssuedAt + RememberDuration;

    public bool IsAlive(Authorization a) => a.EndedAt is null;

    /// <summary>The authorization an OAuth login of the user gets now: the alive one, or a new one once it ended.</summary>
    public Authorization AuthorizationFor(int user) =>
        Sessions.Select(s => s.Authorization).Concat(Authorizations).OfType<Authorization>().LastOrDefault(a => a.User == user && IsAlive(a))
        ?? new Authorization { User = user };

    public static TimeSpan Lifetime(bool remember) => remember ? RememberDuration : IdleTimeout;

    /// <summary>Every path that mints a session checks the wiki's status and membership, and the user.</summary>
    public bool MayLogIn(int user, string wiki) => Farm.MayUse(user, wiki) && !Prevented[user] && !Locked[user];

    // ---- Lookups by what a request carries ----

    public Session? CookieSession(string? id, string wiki, Kind kind) =>
        id is null ? null : Sessions.LastOrDefault(s => s.Id == id && s.Wiki == wiki && s.Kind == kind);

    public Central? CentralById(string? id) => id is not null && Centrals.TryGetValue(id, out var c) ? c : null;

    public Token? TokenByValue(string wiki, string? value) =>
        value is null ? null : Tokens.LastOrDefault(t => t.Wiki == wiki && t.Value == value);

    /// <summary>The remember-me token the request's two cookies name together.</summary>
    public Token? TokenOf(string wiki, IReadOnlyDictionary<string, string>? cookies) =>
        TokenByValue(wiki, cookies?.GetValueOrDefault($"{wiki}Token")) is { } t && t.UserIdCookie == cookies!.GetValueOrDefault($"{wiki}UserID") ? t : null;

    /// <summary>The session already minted from a credential on a wiki: reads do not write, so a request gets it back.</summary>
    public Session? Minted(string wiki, Func<Session, bool> from) =>
        Sessions.LastOrDefault(s => s.Wiki == wiki && from(s) && IsAlive(s));

    // ---- What a resolve yields ----

    /// <summary>What a browser's request on a wiki yields: its session cookie, else its remember-me token, else auto-login.</summary>
    public sealed record Expected(string Via, int? User, Session? Existing = null, Token? Token = null, Central? Central = null);

    public Expected ExpectBrowser(string wiki, IReadOnlyDictionary<string, string> cookies, IReadOnlyDictionary<string, string> central)
    {
        if (CookieSession(cookies.GetValueOrDefault($"{wiki}_session"), wiki, Kind.Cookie) is { } s && IsAlive(s))
            return new Expected("session", s.User, Existing: s);
        if (TokenOf(wiki, cookies) is { } t && IsAlive(t) && MayLogIn(t.User, wiki))
            return new Expected("remember-me", t.User, Existing: Minted(wiki, x => x.FromToken == t), Token: t);
        if (CentralById(central.GetValueOrDefault(Farm.CentralCookie)) is { } c && IsAlive(c) && MayLogIn(c.User, wiki))
            return new Expected("auto-login", c.User, Existing: Minted(wiki, x => x.Central == c && x.Origin == "auto-login"), Central: c);
        return new Expected("nothing", null);
    }

    /// <summary>
    /// A request's use of a session: its activity is written at most once per interval, and that write also refreshes
    /// its central session (linked activity).
    /// </summary>
    public void Use(Session s)
    {
        if (Now - s.LastActivity < ActivityWriteInterval) return;
        s.LastActivity = Now;
        if (s.ExpiresAt is null && s.Central is { } c && IsAlive(c)) c.LastActivity = Now;
    }

    // ---- What logins and requests make ----

    public Central NewCentral(string id, int user, bool remember, BrowserLineage browser) =>
        Centrals[id] = new Central { Id = id, User = user, Remember = remember, LastActivity = Now, Browser = browser };

    public Session NewSession(string id, string wiki, int user, Kind kind, string origin, bool remember,
        Central? central = null, Token? fromToken = null, Authorization? authorization = null, DateTimeOffset? expiresAt = null)
    {
        var s = new Session
        {
            Id = id, Wiki = wiki, User = user, Kind = kind, Origin = origin, Remember = remember, Central = central, FromToken = fromToken,
            Authorization = authorization, ExpiresAt = expiresAt, LastActivity = Now, Number = Sessions.Count + 1,
        };
        Sessions.Add(s);
        // A new session is activity of its central session too.
        if (central is not null && IsAlive(central)) central.LastActivity = Now;
        return s;
    }

    public Token NewToken(string wiki, string value, string? userIdCookie, int user, Central? central)
    {
        var t = new Token { Wiki = wiki, Value = value, UserIdCookie = userIdCookie, User = user, Central = central, IssuedAt = Now };
        Tokens.Add(t);
        return t;
    }

    /// <summary>The browsers of <paramref name="named"/> (central sessions of the login's user) become one with <paramref name="browser"/>.</summary>
    public void Join(BrowserLineage browser, IEnumerable<Central?> named)
    {
        var merged = named.OfType<Central>().Select(c => c.Browser).Where(b => b != browser).ToHashSet();
        foreach (var c in Centrals.Values.Where(c => merged.Contains(c.Browser))) c.Browser = browser;
        if (merged.Any(b => b.Unlinked)) browser.Unlinked = true;
    }

    // ---- What actions end. Each returns what was alive and is now ended, as the steward's answer counts it ----

    public sealed record Reached(int Sessions, int Centrals, int Tokens)
    {
        public bool Any => Sessions + Centrals + Tokens > 0;
    }

    public Reached End(IEnumerable<Session?> sessions, IEnumerable<Central?> centrals, IEnumerable<Token?> tokens, IEnumerable<Authorization>? authorizations = null)
    {
        // Decide what is alive before anything ends: an OAuth session dies with its authorization and is counted as a session.
        var s = sessions.OfType<Session>().Distinct().Where(IsAlive).ToList();
        var c = centrals.OfType<Central>().Distinct().Where(IsAlive).ToList();
        var t = tokens.OfType<Token>().Distinct().Where(IsAlive).ToList();
        foreach (var x in s) x.EndedAt = Now;
        foreach (var x in c) x.EndedAt = Now;
        foreach (var x in t) x.EndedAt = Now;
        foreach (var a in (authorizations ?? []).Where(IsAlive)) a.EndedAt = Now;
        return new Reached(s.Count, c.Count, t.Count);
    }

    /// <summary>Every central session of the browsers these belong to, every session linked to them, their tokens and what those restored.</summary>
    public Reached EndBrowsers(IEnumerable<Central?> named, IEnumerable<Session?> alsoSessions, IEnumerable<Token?> alsoTokens)
    {
        var browsers = named.OfType<Central>().Select(c => c.Browser).ToHashSet();
        var centrals = Centrals.Values.Where(c => browsers.Contains(c.Browser)).ToHashSet();
        var tokens = Tokens.Where(t => t.Central is not null && centrals.Contains(t.Central)).Concat(alsoTokens.OfType<Token>()).ToHashSet();
        var sessions = Sessions.Where(s => s.Central is not null && centrals.Contains(s.Central) || s.FromToken is not null && tokens.Contains(s.FromToken))
            .Concat(alsoSessions.OfType<Session>());
        return End(sessions, centrals, tokens);
    }

    public IEnumerable<Central> BrowserOf(Session s) =>
        s.Central is { } c ? Centrals.Values.Where(x => x.Browser == c.Browser) : [];

    /// <summary>Invalidate user, prevent, invalidate everyone: every session, central session, token and authorization.</summary>
    public Reached EndEverythingOf(Func<int, bool> whose)
    {
        foreach (var s in Sessions.Where(s => whose(s.User) && s.EndedAt is null && !IsAlive(s))) s.LapsedBeforeInvalidation = true;
        return End(Sessions.Where(s => whose(s.User)), Centrals.Values.Where(c => whose(c.User)), Tokens.Where(t => whose(t.User)),
            Authorizations.OfType<Authorization>().Where(a => whose(a.User)).Concat(Sessions.Select(s => s.Authorization).OfType<Authorization>().Where(a => whose(a.User))));
    }

    /// <summary>A browser revoke of an OAuth session: every authorization of the tool for that user issued before, and their sessions.</summary>
    public Reached EndAuthorizationsOf(int user)
    {
        var authorizations = Sessions.Select(s => s.Authorization).Concat(Authorizations).OfType<Authorization>().Where(a => a.User == user && IsAlive(a)).ToHashSet();
        var reached = End(Sessions.Where(s => s.Authorization is not null && authorizations.Contains(s.Authorization)), [], []);
        foreach (var a in authorizations) a.EndedAt = Now;
        return reached;
    }

    /// <summary>Remembered MediaWiki sessions alive now, whose Token cookie only the wiki's token reset ends.</summary>
    public bool HasRememberedStoreSession(Func<int, bool> whose) =>
        Sessions.Any(s => s.Kind == Kind.MediaWiki && s.Remember && IsAlive(s) && whose(s.User));
}

/// <summary>The fixed cast of the scenarios: users, browsers, tools, wikis, store keys.</summary>
public static class Farm
{
    public static readonly string[] Users = [TestFarm.Alice, TestFarm.Bob, TestFarm.Carol];
    public static string Short(int user) => Users[user]["Sandbox ".Length..];
    public const string Consumer = "SandboxTool";
    public const string AppId = "sandboxbot";
    public const string CentralCookie = "centralauth_Session";

    public const int Browsers = 4;
    /// <summary>Browsers 2 and 3 ignore cookie deletions and keep sending the old values.</summary>
    public static bool IsStale(int browser) => browser >= 2;
    public const int Apps = 3;

    public static readonly string[] Wikis = ["enwiki", "dewiki", "frwiki", "arbcom_enwiki", "aawiki"];
    public const string Private = "arbcom_enwiki";
    public const string Closed = "aawiki";

    /// <summary>The MediaWiki wiki whose sessions live in the store, and how many keys the scenarios use there.</summary>
    public const string MediaWiki = "testwiki";
    public const int StoreKeys = 2;
    public static string StoreKey(int key) => $"{MediaWiki}:MWSession:{key + 1:x32}";

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
