using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.HttpOverrides;
using WikiSessions.Dashboard.Api;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard;

/// <summary>
/// The HTTP edge: request size limits, security headers on every response, HSTS and Secure cookies in
/// Production, and the forwarded headers of a TLS-terminating proxy when one is configured.
/// </summary>
public static class EdgeSetup
{
    /// <summary>Where <see cref="ScriptNonce"/> keeps the request's nonce.</summary>
    private const string NonceKey = "csp-nonce";

    public static WebApplicationBuilder AddEdge(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(o =>
        {
            o.Limits.MaxRequestBodySize = InputLimits.RequestBodyBytes;
            o.Limits.MaxRequestHeadersTotalSize = InputLimits.RequestHeadersBytes;
            o.Limits.MaxRequestHeaderCount = 64;
            o.Limits.MaxRequestLineSize = 8 * 1024;
        });

        var proxies = builder.Configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [];
        var networks = builder.Configuration.GetSection("ForwardedHeaders:KnownNetworks").Get<string[]>() ?? [];
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // Only the configured proxies are believed; the framework's default (loopback) is dropped.
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var proxy in proxies) o.KnownProxies.Add(IPAddress.Parse(proxy));
            foreach (var network in networks) o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
        });

        if (builder.Environment.IsProduction())
        {
            builder.Services.PostConfigure<CookieAuthenticationOptions>(Schemes.StaffCookie, o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
            builder.Services.Configure<AntiforgeryOptions>(o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
            builder.Services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));
        }
        return builder;
    }

    public static WebApplication UseEdge(this WebApplication app)
    {
        var section = app.Configuration.GetSection("ForwardedHeaders");
        if (section.GetSection("KnownProxies").GetChildren().Any() || section.GetSection("KnownNetworks").GetChildren().Any())
            app.UseForwardedHeaders();
        if (app.Environment.IsProduction()) app.UseHsts();
        app.Use(static (http, next) =>
        {
            var nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            http.Items[NonceKey] = nonce;
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            return next(http);
        });
        if (app.Environment.IsProduction())
            app.Use(static (http, next) => http.Request.IsHttps || IsForMachines(http.Request.Path) ? next(http) : RefusePlainHttpAsync(http));
        return app;
    }

    /// <summary>Wiki servers, scripts, probes and scrapers send no cookie; over plain HTTP inside the network they keep working.</summary>
    private static bool IsForMachines(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/sessions/v1") || path.StartsWithSegments("/hubs")
        || path.StartsWithSegments("/health") || path.StartsWithSegments("/openapi") || path.StartsWithSegments(Operations.OperationsSetup.MetricsPath);

    /// <summary>
    /// The console's login and antiforgery cookies are Secure in Production, so over plain HTTP no login could work: say
    /// so, instead of the antiforgery check's error becoming a 503 about an unexpected error.
    /// </summary>
    private static Task RefusePlainHttpAsync(HttpContext http) =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest,
            title: "The staff console is served over HTTPS only in Production. Open it with https://; behind a TLS-terminating proxy, " +
                "name the proxy in ForwardedHeaders:KnownProxies (or its network in ForwardedHeaders:KnownNetworks) so its X-Forwarded-Proto: https is believed.",
            detail: "Its login and antiforgery cookies are Secure, so a browser never sends them back over plain HTTP.").ExecuteAsync(http);

    /// <summary>
    /// Scripts only from this site, plus the one inline script Blazor writes (the import map) by nonce; styles may be
    /// inline, since MudBlazor sets style attributes; the circuit's WebSocket is same-origin ('self' covers ws/wss).
    /// </summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The nonce of this request's inline scripts.</summary>
    public static string? ScriptNonce(this HttpContext http) => http.Items[NonceKey] as string;
}
