namespace WikiSessions.Core.Tests;

/// <summary>One step of a generated scenario. Each prints as a sentence, so a failing scenario reads as a story.</summary>
public abstract record Op
{
    protected static string At(int instance) => instance == 0 ? "" : " on instance B";
}

/// <summary>What a login carries: the browser's cookies, none (<c>{}</c>), or neither field at all.</summary>
public enum Carry { Cookies, NoCookies, NeitherField }

/// <summary>How far a steward's revoke reaches: the whole browser (the default) or the one session.</summary>
public enum Reach { Browser, Session }

public sealed record Login(int Browser, int User, string Wiki, bool Remember, Carry Carry) : Op
{
    public override string ToString() => $"browser {Browser} logs {Farm.Short(User)} in on {Wiki}{(Remember ? " (remember me)" : "")}" + Carry switch
    {
        Carry.NoCookies => ", the wiki sending no cookies ({})",
        Carry.NeitherField => ", the wiki sending neither cookie field",
        _ => "",
    };
}

public sealed record BotLogin(int User, string Wiki) : Op
{
    public override string ToString() => $"{Farm.Short(User)}'s bot logs in on {Wiki}";
}

public sealed record OAuthLogin(int App, int User, string Wiki) : Op
{
    public override string ToString() => $"app {App} gets an OAuth authorization of {Farm.Short(User)} on {Wiki}";
}

public sealed record Visit(int Browser, string Wiki, int On) : Op
{
    public override string ToString() => $"browser {Browser} visits {Wiki}{At(On)}";
}

public sealed record BotRequest(int User, string Wiki, int On) : Op
{
    public override string ToString() => $"{Farm.Short(User)}'s bot sends a request to {Wiki}{At(On)}";
}

public sealed record AppRequest(int App, string Wiki, int On) : Op
{
    public override string ToString() => $"app {App} sends a request to {Wiki}{At(On)}";
}

public sealed record Logout(int Browser, string Wiki, LogoutScope Scope, int On) : Op
{
    public override string ToString() => $"browser {Browser} logs out on {Wiki} ({Scope.ToString().ToLowerInvariant()}){At(On)}";
}

/// <summary><c>Pick</c> chooses, at run time, among the sessions the model holds alive.</summary>
public sealed record Revoke(int Pick, Reach Reach, int On) : Op
{
    public override string ToString() => $"a steward revokes alive session #{Pick} (scope {Reach.ToString().ToLowerInvariant()}){At(On)}";
}

public sealed record InvalidateUser(int User, int On) : Op
{
    public override string ToString() => $"a steward invalidates {Farm.Short(User)}{At(On)}";
}

public sealed record InvalidateEveryone(int On) : Op
{
    public override string ToString() => $"a steward invalidates everyone{At(On)}";
}

public sealed record Prevent(int User, int On) : Op
{
    public override string ToString() => $"a steward prevents {Farm.Short(User)}{At(On)}";
}

public sealed record Lock(int User, int On) : Op
{
    public override string ToString() => $"a steward locks {Farm.Short(User)}{At(On)}";
}

public sealed record Unlock(int User, int On) : Op
{
    public override string ToString() => $"a steward unlocks {Farm.Short(User)}{At(On)}";
}

public sealed record RevokeGrant(int User, int On) : Op
{
    public override string ToString() => $"a steward revokes {Farm.Short(User)}'s OAuth grant to {Farm.Consumer}{At(On)}";
}

public sealed record RevokeBotPassword(int User, int On) : Op
{
    public override string ToString() => $"a steward revokes {Farm.Short(User)}'s bot password{At(On)}";
}

public sealed record StoreWrite(int Key, int User, bool Remember, int On) : Op
{
    public override string ToString() => $"{Farm.MediaWiki} saves key {Key} as {Farm.Short(User)}'s session{(Remember ? " (remember me)" : "")}{At(On)}";
}

public sealed record StoreRead(int Key, int On) : Op
{
    public override string ToString() => $"{Farm.MediaWiki} reads key {Key}{At(On)}";
}

public sealed record StoreDelete(int Key, int On) : Op
{
    public override string ToString() => $"{Farm.MediaWiki} deletes key {Key} (a logout){At(On)}";
}

public sealed record Sweep : Op
{
    public override string ToString() => "the sweeper runs";
}

/// <summary>An instance loses Redis (<c>Up</c> false) or hears it again.</summary>
public sealed record Redis(int Instance, bool Up) : Op
{
    public override string ToString() => $"instance {(Instance == 0 ? "A" : "B")} {(Up ? "hears Redis again" : "loses Redis")}";
}

public sealed record Wait(TimeSpan For) : Op
{
    public override string ToString() => For.TotalDays >= 1 ? $"{For.TotalDays:0} days pass" : $"{(int)For.TotalMinutes}m{For.Seconds:00}s pass";
}
