using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Api;

public sealed record ClientBody(string? Ip, string? UserAgent, bool Secure);
public sealed record LoginBody(
    string? User, string? Provider, bool Remember, string? AppId, string? Consumer, ClientBody? Client,
    Dictionary<string, string>? Cookies, Dictionary<string, string>? CentralCookies);
public sealed record ResolveBody(Dictionary<string, string>? Cookies, Dictionary<string, string>? CentralCookies, string? Authorization, ClientBody? Client);
public sealed record LogoutBody(Dictionary<string, string>? Cookies, Dictionary<string, string>? CentralCookies, string? Scope, ClientBody? Client);
public sealed record LogoutResponse(string TraceId, LogoutOutcome Outcome, IReadOnlyList<SetCookie> SetCookies, string? Survives);
public sealed record DataResponse(int Version, JsonElement Data);
public sealed record DataBody(int? ExpectedVersion, JsonElement? Data);
public sealed record VersionResponse(int Version);

/// <summary>The routes wiki servers call, each authorised by the wiki's own key.</summary>
public static class WikiApi
{
    public static IEndpointRouteBuilder MapWikiApi(this IEndpointRouteBuilder app)
    {
        var wiki = app.MapGroup("/api/v1/wikis/{wiki}")
            .WithTags("Wiki servers")
            .RequireAuthorization(Schemes.WikiServer)
            .AddEndpointFilter(InputLimits.RouteAndQuery)
            .AddEndpointFilter(OwnWikiOnly)
            .AddEndpointFilter(EngineRefusals);
        wiki.MapPost("/login", Login).WithSummary("The wiki has authenticated the user: make the sessions.");
        wiki.MapPost("/resolve", Resolve).WithSummary("Which session does this request belong to?");
        wiki.MapPost("/logout", Logout).WithSummary("End the session, and with global scope every linked session on every wiki.");
        wiki.MapGet("/sessions/{id}/data", GetData).WithSummary("The session's data and its version.");
        wiki.MapPut("/sessions/{id}/data", PutData).WithSummary("Write the session's data if nobody wrote since expectedVersion.");
        return app;
    }

    private static async Task<Ok<LoginResult>> Login(string wiki, LoginBody body, SessionService sessions, CancellationToken cancellationToken)
    {
        if (body.Provider is null) throw Invalid("'provider' is required: cookie, botpassword or oauth.");
        if (!WireNames.TryParse<ProviderKind>(PlainText.Check(body.Provider, "provider", InputLimits.Word), out var provider))
            throw Invalid($"'{body.Provider.ToLowerInvariant()}' is not a provider; use cookie, botpassword or oauth.");
        if (string.IsNullOrWhiteSpace(body.User) || body.User.Length > InputLimits.User)
            throw Invalid($"'user' is required: the global user name, at most {InputLimits.User} characters.");
        PlainText.Check(body.User, "user", InputLimits.User);
        var request = new LoginRequest(wiki, body.User, provider, body.Remember,
            PlainText.Check(body.AppId, "appId", InputLimits.AppId), PlainText.Check(body.Consumer, "consumer", InputLimits.Consumer), Client(body.Client),
            Cookies(body.Cookies, "cookies"), Cookies(body.CentralCookies, "centralCookies"));
        return TypedResults.Ok(await sessions.LoginAsync(request, cancellationToken));
    }

    private static async Task<Ok<ResolveResult>> Resolve(string wiki, ResolveBody body, SessionService sessions, CancellationToken cancellationToken)
    {
        PlainText.Check(body.Authorization, "authorization", InputLimits.Authorization);
        var request = new ResolveRequest(wiki, Cookies(body.Cookies, "cookies") ?? new Dictionary<string, string>(),
            Cookies(body.CentralCookies, "centralCookies"), body.Authorization, Client(body.Client));
        return TypedResults.Ok(await sessions.ResolveAsync(request, cancellationToken));
    }

    private static async Task<Ok<LogoutResponse>> Logout(string wiki, LogoutBody body, LogoutService logouts, CancellationToken cancellationToken)
    {
        var scope = PlainText.Check(body.Scope, "scope", InputLimits.Word)?.ToLowerInvariant() switch
        {
            null or "global" => LogoutScope.Global,
            "local" => LogoutScope.Local,
            var other => throw Invalid($"'{other}' is not a logout scope; use global or local."),
        };
        var result = await logouts.LogoutAsync(new LogoutRequest(wiki, Cookies(body.Cookies, "cookies") ?? new Dictionary<string, string>(),
            Cookies(body.CentralCookies, "centralCookies"), scope, Client(body.Client)), cancellationToken);
        return TypedResults.Ok(new LogoutResponse(result.TraceId, result.Outcome, result.SetCookies, result.Survives));
    }

    private static async Task<Ok<DataResponse>> GetData(string wiki, string id, SessionService sessions, CancellationToken cancellationToken)
    {
        var data = await sessions.GetDataAsync(wiki, id, cancellationToken);
        using var doc = JsonDocument.Parse(data.Data);
        return TypedResults.Ok(new DataResponse(data.Version, doc.RootElement.Clone()));
    }

    private static async Task<Ok<VersionResponse>> PutData(string wiki, string id, DataBody body, SessionService sessions, CancellationToken cancellationToken)
    {
        if (body.ExpectedVersion is not { } expected) throw Invalid("'expectedVersion' is required: the version you read.");
        if (body.Data is not { ValueKind: JsonValueKind.Object } data) throw Invalid("'data' is required and must be a JSON object.");
        // A lone surrogate stored here would make every later read of the session's data fail.
        InputLimits.Json(data, "data");
        return TypedResults.Ok(new VersionResponse(await sessions.PutDataAsync(wiki, id, expected, data.GetRawText(), cancellationToken)));
    }

    /// <summary>A wiki key belongs to one wiki and works only on that wiki's routes.</summary>
    private static async ValueTask<object?> OwnWikiOnly(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var routeWiki = context.HttpContext.GetRouteValue("wiki") as string;
        var farm = context.HttpContext.RequestServices.GetRequiredService<FarmDirectory>();
        if (routeWiki is null || await farm.FindAsync(routeWiki, context.HttpContext.RequestAborted) is null)
            return TypedResults.Problem(title: $"There is no wiki named '{routeWiki}' in the farm.", statusCode: StatusCodes.Status404NotFound);
        if (context.HttpContext.User.FindFirstValue(Schemes.WikiClaim) != routeWiki)
            return TypedResults.Problem(title: $"This key belongs to another wiki; it may not be used on {routeWiki}'s routes.", statusCode: StatusCodes.Status403Forbidden);
        return await next(context);
    }

    /// <summary>An engine refusal is a problem response with the engine's own title.</summary>
    internal static async ValueTask<object?> EngineRefusals(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (SessionException ex)
        {
            return ApiSetup.Problem(ex);
        }
    }

    private static ClientInfo Client(ClientBody? client)
    {
        if (client is null) return new ClientInfo(null, null, false);
        if (PlainText.Check(client.Ip, "client.ip", InputLimits.Ip) is { } ip && !IpKeys.TryParse(ip, out _))
            throw Invalid($"client.ip '{ip}' is not an IP address; send dotted-quad IPv4 (203.0.113.7) or IPv6 without a zone.");
        PlainText.Check(client.UserAgent, "client.userAgent", InputLimits.UserAgent);
        return new ClientInfo(client.Ip, client.UserAgent, client.Secure);
    }

    /// <summary>A cookie set as the browser sent it; over-long values are refused, never truncated.</summary>
    private static Dictionary<string, string>? Cookies(Dictionary<string, string>? cookies, string field)
    {
        if (cookies is null) return null;
        if (cookies.Count > InputLimits.Cookies) throw Invalid($"'{field}' has {cookies.Count} cookies; at most {InputLimits.Cookies} are accepted.");
        foreach (var (name, value) in cookies)
        {
            if (name.Length is 0 or > InputLimits.CookieName) throw Invalid($"'{field}' has a cookie name that is empty or longer than {InputLimits.CookieName} characters.");
            PlainText.Check(name, $"{field} (a cookie name)", InputLimits.CookieName);
            if (value is null) throw Invalid($"Cookie '{Truncate(name)}' in '{field}' has no value; send a string.");
            if (value.Length > InputLimits.CookieValue) throw Invalid($"Cookie '{Truncate(name)}' in '{field}' is longer than {InputLimits.CookieValue} characters.");
            PlainText.Check(value, $"{field}.{Truncate(name)}", InputLimits.CookieValue);
        }
        return cookies;
    }

    private static string Truncate(string value) => value.Length > 40 ? value[..40] + "…" : value;

    private static SessionException Invalid(string title) => new(Failure.Invalid, title);
}
