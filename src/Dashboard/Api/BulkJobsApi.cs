using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Api;

/// <summary>A session filter as a request body: the sessions explorer's fields, spelled as its query string.</summary>
public sealed record FilterBody(string? Wiki, string? User, string? Provider, string? Ip, bool? Active, DateTimeOffset? From, DateTimeOffset? To,
    bool? Remember, string? Origin, string? EndReason)
{
    public SessionFilter ToFilter() => new(
        Blank(PlainText.Check(Wiki, "wiki", InputLimits.Wiki)), Blank(PlainText.Check(User, "user", InputLimits.User)),
        SessionFilter.ParseProvider(PlainText.Check(Provider, "provider", InputLimits.Word)), Blank(PlainText.Check(Ip, "ip", InputLimits.IpFilter)), Active,
        From, To, Remember, SessionFilter.ParseOrigin(PlainText.Check(Origin, "origin", InputLimits.Word)),
        SessionFilter.ParseEndReason(PlainText.Check(EndReason, "endReason", InputLimits.Word * 2)));

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}

/// <param name="Kind"><c>revoke-sessions</c> or <c>invalidate-users</c>.</param>
public sealed record BulkPreviewBody(string? Kind, FilterBody? Filter);

/// <param name="Confirm">The count the preview gave, typed back; required above 1,000.</param>
public sealed record BulkStartBody(string? Kind, FilterBody? Filter, string? Reason, int? Confirm);

/// <summary>Stewards' bulk jobs: preview what a filter reaches, start, follow and cancel a job.</summary>
public static class BulkJobsApi
{
    public static IEndpointRouteBuilder MapBulkJobsApi(this IEndpointRouteBuilder app)
    {
        // Every route, the preview too, is for stewards: a preview reads the whole store behind a filter.
        var jobs = app.MapGroup("/api/v1/admin/bulk-jobs").WithTags("Staff")
            .AddEndpointFilter(InputLimits.RouteAndQuery)
            .AddEndpointFilter(WikiApi.EngineRefusals)
            .RequireRateLimiting(RateLimits.Admin)
            .RequireAuthorization(Schemes.Steward);

        jobs.MapPost("/preview", (BulkPreviewBody body, BulkJobs j, CancellationToken ct) => j.PreviewAsync(Kind(body.Kind), Filter(body.Filter), ct))
            .WithSummary("What a bulk job would end now: exact counts of valid sessions by wiki and provider, and whether the count must be typed back.");
        jobs.MapPost("", Start)
            .WithSummary("Start a bulk job (revoke-sessions or invalidate-users) on a filter, with a reason; above 1,000 the preview's count typed back as 'confirm'.");
        jobs.MapGet("", (BulkJobs j, CancellationToken ct) => j.JobsAsync(20, ct)).WithSummary("The latest bulk jobs, newest first.");
        jobs.MapGet("/{id:long}", (long id, BulkJobs j, CancellationToken ct) => j.JobAsync(id, ct)).WithSummary("A bulk job's progress, counts, check and what survives.");
        jobs.MapPost("/{id:long}/cancel", (long id, ReasonBody body, ClaimsPrincipal user, BulkJobs j, CancellationToken ct) =>
            j.CancelAsync(user.Actor(), id, Reason(body.Reason), ct)).WithSummary("Stop a running job after its current batch; what it ended stays ended.");
        return app;
    }

    private static async Task<Accepted<BulkJobView>> Start(BulkStartBody body, ClaimsPrincipal user, BulkJobs jobs, CancellationToken ct)
    {
        var job = await jobs.StartAsync(user.Actor(), Kind(body.Kind), Filter(body.Filter), Reason(body.Reason), body.Confirm, ct);
        return TypedResults.Accepted($"/api/v1/admin/bulk-jobs/{job.Id}", job);
    }

    private static SessionFilter Filter(FilterBody? filter) =>
        filter?.ToFilter() ?? throw new SessionException(Failure.Invalid, "'filter' is required: the sessions explorer's fields (wiki, user, provider, ip, from, to, remember, origin).");

    private static string Reason(string? reason) => PlainText.Check(reason, "reason", InputLimits.Reason, multiline: true) ?? "";

    private static BulkJobKind Kind(string? kind) => WireNames.TryParse<BulkJobKind>(PlainText.Check(kind, "kind", InputLimits.Word * 2), out var value)
        ? value
        : throw new SessionException(Failure.Invalid, "'kind' is required: revoke-sessions or invalidate-users.");
}
