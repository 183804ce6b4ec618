using System.Globalization;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Api;

public sealed record ReasonBody(string? Reason);
public sealed record RevokeBody(string? Reason, string? Scope);

/// <summary>The routes staff and their scripts call. Sessions are named by handle, never by ID.</summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/v1/admin").WithTags("Staff")
            .AddEndpointFilter(InputLimits.RouteAndQuery)
            .AddEndpointFilter(WikiApi.EngineRefusals)
            .RequireRateLimiting(RateLimits.Admin);

        var read = admin.MapGroup("").RequireAuthorization(Schemes.AnyStaff);
        read.MapGet("/wikis", (FarmQueries q, CancellationToken ct) => q.WikisAsync(ct)).WithSummary("Active sessions per wiki and provider.");
        read.MapGet("/users", (string? prefix, UserQueries q, CancellationToken ct) => q.SuggestUsersAsync(prefix ?? "", 10, ct)).WithSummary("User names starting with a prefix.");
        read.MapGet("/users/{user}", (string user, UserQueries q, CancellationToken ct) => q.UserAsync(user, ct)).WithSummary("The user, attached wikis, grants and active sessions.");
        read.MapGet("/users/{user}/history", (string user, int? page, int? pageSize, UserQueries q, CancellationToken ct) =>
            q.HistoryAsync(user, page ?? 1, pageSize ?? 100, ct)).WithSummary("Every session of the user, newest first, with how it ended.");
        read.MapGet("/users/{user}/blast-radius", (string user, UserQueries q, CancellationToken ct) => q.UserBlastRadiusAsync(user, ct))
            .WithSummary("What invalidating or preventing the user would end.");
        read.MapGet("/sessions", Sessions).WithSummary("A page of sessions by wiki, user, provider, IP prefix or CIDR, active or ended.");
        read.MapGet("/sessions.csv", Export).WithSummary("Every session of the filter as CSV.");
        read.MapGet("/sessions/{handle}", (string handle, SessionQueries q, CancellationToken ct) => q.SessionAsync(handle, ct))
            .WithSummary("A session with its events, provider and metadata diffs.");

        var diagnose = admin.MapGroup("").RequireAuthorization(Schemes.DeveloperOrSteward);
        diagnose.MapGet("/logout-traces", (string? user, bool? resurrected, int? page, int? pageSize, TraceQueries q, CancellationToken ct) =>
            q.TracesAsync(user, resurrected ?? false, page ?? 1, pageSize ?? 50, ct)).WithSummary("Logout traces, newest first.");
        diagnose.MapGet("/logout-traces/{traceId}", (string traceId, TraceQueries q, CancellationToken ct) => q.TraceAsync(traceId, ct))
            .WithSummary("One logout's step per wiki, and the resurrections that followed it.");
        diagnose.MapGet("/sessions/{handle}/metadata-diffs", (string handle, SessionQueries q, CancellationToken ct) => q.MetadataDiffsAsync(handle, ct))
            .WithSummary("Saved and provided metadata of each load that conflicted.");
        diagnose.MapGet("/audit", (int? page, int? pageSize, string? actor, string? action, string? target, DateTimeOffset? from, DateTimeOffset? to,
                FarmQueries q, CancellationToken ct) => q.AuditAsync(new AuditFilter(actor, action, target, from, to), page ?? 1, pageSize ?? 50, ct))
            .WithSummary("Every staff action, newest first; filtered by actor, action and target (exact) and a time window [from, to).");

        var act = admin.MapGroup("").RequireAuthorization(Schemes.Steward);
        act.MapPost("/sessions/{handle}/revoke", async (string handle, RevokeBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.RevokeSessionAsync(user.Actor(), handle, Reason(body.Reason), Scope(body.Scope), ct)))
            .WithSummary("End a session now: with scope 'browser' (the default) also its central session, every linked session and its remember-me tokens.");
        act.MapPost("/users/{name}/invalidate", async (string name, ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.InvalidateUserAsync(user.Actor(), name, Reason(body.Reason), ct))).WithSummary("Reset the user token: every session of the user ends.");
        act.MapPost("/users/{name}/prevent", async (string name, ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.PreventUserAsync(user.Actor(), name, Reason(body.Reason), ct))).WithSummary("Irreversible: end every session, revoke grants, allow no new session.");
        act.MapPost("/users/{name}/lock", async (string name, ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.LockUserAsync(user.Actor(), name, Reason(body.Reason), ct))).WithSummary("Reversible: end every session and allow no new one until an unlock; bot passwords and grants are kept, refused meanwhile.");
        act.MapPost("/users/{name}/unlock", async (string name, ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.UnlockUserAsync(user.Actor(), name, Reason(body.Reason), ct))).WithSummary("Lift a lock: the user may log in again; nothing the lock ended comes back.");
        act.MapPost("/users/{name}/grants/{consumer}/revoke", async (string name, string consumer, ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.RevokeGrantAsync(user.Actor(), name, consumer, Reason(body.Reason), ct))).WithSummary("Revoke the user's OAuth grant of a consumer; its sessions end.");
        act.MapPost("/users/{name}/bot-passwords/{appId}/revoke", async (string name, string appId, ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.RevokeBotPasswordAsync(user.Actor(), name, appId, Reason(body.Reason), ct))).WithSummary("Revoke a bot password; its sessions end.");
        act.MapPost("/invalidate-all", async (ReasonBody body, ClaimsPrincipal user, AdminService a, CancellationToken ct) =>
            TypedResults.Ok(await a.InvalidateEveryoneAsync(user.Actor(), Reason(body.Reason), ct)))
            .WithSummary("After an incident: end every session in the farm, in one statement.");
        return app;
    }

    private static string Reason(string? reason) => PlainText.Check(reason, "reason", InputLimits.Reason, multiline: true) ?? "";

    private static RevokeScope Scope(string? scope) => PlainText.Check(scope, "scope", InputLimits.Word)?.ToLowerInvariant() switch
    {
        null or "browser" => RevokeScope.Browser,
        "session" => RevokeScope.Session,
        var other => throw new SessionException(Failure.Invalid, $"'{other}' is not a revoke scope; use browser (the default) or session."),
    };

    /// <summary>The explorer's filter from the query string; the same fields as a bulk job's <see cref="FilterBody"/>.</summary>
    private sealed record FilterQuery(string? Wiki, string? User, string? Provider, string? Ip, bool? Active, DateTimeOffset? From, DateTimeOffset? To,
        bool? Remember, string? Origin, string? EndReason)
    {
        public SessionFilter ToFilter() => new FilterBody(Wiki, User, Provider, Ip, Active, From, To, Remember, Origin, EndReason).ToFilter();
    }

    private static Task<Paged<AdminSession>> Sessions([AsParameters] FilterQuery filter, int? page, int? pageSize, SessionQueries q, CancellationToken ct) =>
        q.SessionsAsync(filter.ToFilter(), page ?? 1, pageSize ?? 50, ct);

    private static async Task Export([AsParameters] FilterQuery query, HttpContext http, SessionQueries q, CancellationToken ct)
    {
        var filter = query.ToFilter();
        // Validate the filter before the first byte goes out, so a bad filter is still a clean 4xx.
        await q.SessionsAsync(filter, 1, 1, ct);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = "attachment; filename=sessions.csv";
        await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false), bufferSize: 64 * 1024);
        await writer.WriteLineAsync("handle,wiki,user,provider,origin,createdAt,lastActivityAt,expiresAt,endedAt,endReason,ip,userAgent");
        await foreach (var s in q.ExportAsync(filter, ct))
        {
            // Providers and end reasons as the API names them (one vocabulary, docs/api-contract.md); origins keep their first spelling.
            await writer.WriteLineAsync(string.Join(",", Csv(s.Handle), Csv(s.Wiki), Csv(s.User), WireNames.Of(s.Provider), s.Origin, Time(s.CreatedAt), Time(s.LastActivityAt),
                Time(s.ExpiresAt), s.EndedAt is { } e ? Time(e) : "", s.EndReason is { } r ? WireNames.Of(r) : "", Csv(s.Ip), Csv(s.UserAgent)));
        }
    }

    private static string Time(DateTimeOffset t) => t.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>Quotes a CSV field, and defuses values a spreadsheet would run as a formula.</summary>
    /// <remarks>
    /// A spreadsheet runs a cell as a formula when it starts with = + - @ (or their full-width forms), and also after
    /// leading tabs, line breaks or spaces, or with a tab or carriage return as its first character (OWASP's CSV
    /// injection list); such a value gets a leading apostrophe, which spreadsheets show as text.
    /// </remarks>
    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var first = value.AsSpan().TrimStart(" \t\r\n\f\v\u00A0\u3000");
        if (value[0] is '\t' or '\r' or '\n' || first.Length > 0 && first[0] is '=' or '+' or '-' or '@' or '|' or '\uFF1D' or '\uFF0B' or '\uFF0D' or '\uFF20')
            value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r', '\t']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
