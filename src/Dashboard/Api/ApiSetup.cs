using System.Data.Common;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Api;

public static class ApiSetup
{
    public static IServiceCollection AddApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1");
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
            // A field of the wrong type or a number given as a string is an error, not a silent default.
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            // Deeper bodies are refused with a 400 before any handler runs; session data is held to the same depth.
            o.SerializerOptions.MaxDepth = InputLimits.JsonDepth;
        });
        // Binding failures throw, so the exception handler can say what was wrong instead of an empty 400.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            // Only the framework's generic titles are replaced; the engine's and the filters' own titles stand.
            if (c.ProblemDetails.Title is not (null or "Unauthorized" or "Forbidden" or "Not Found")) return;
            c.ProblemDetails.Title = c.ProblemDetails.Status switch
            {
                StatusCodes.Status401Unauthorized => "A valid credential is required: send 'Authorization: Bearer <wiki key or staff token>', or log in to the dashboard.",
                StatusCodes.Status403Forbidden => "Your role may not do that: developers and support staff read, only stewards change sessions.",
                StatusCodes.Status404NotFound => "There is no such route.",
                _ => c.ProblemDetails.Title,
            };
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton(sp => new ApiExceptionHandler.Throttle(new LogThrottle(
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<WikiSessions.Core.Sessions.SessionOptions>>().Value.StoreFailureReportInterval)));
        return services;
    }

    public static IEndpointRouteBuilder MapApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.MapWikiApi();
        app.MapAdminApi();
        app.MapStewardApi();
        app.MapBulkJobsApi();
        app.MapMediaWikiStore();
        return app;
    }

    /// <summary>Turns an engine refusal into a problem response with the engine's title.</summary>
    public static IResult Problem(SessionException ex)
    {
        var status = ex.Failure switch
        {
            Failure.Invalid => StatusCodes.Status400BadRequest,
            Failure.NotFound => StatusCodes.Status404NotFound,
            Failure.Forbidden => StatusCodes.Status403Forbidden,
            Failure.Conflict => StatusCodes.Status409Conflict,
            Failure.Misconfigured => StatusCodes.Status422UnprocessableEntity,
            Failure.TooLarge => StatusCodes.Status413PayloadTooLarge,
            Failure.QuotaExceeded => StatusCodes.Status507InsufficientStorage,
            _ => StatusCodes.Status503ServiceUnavailable,
        };
        var extensions = ex.CurrentVersion is { } version ? new Dictionary<string, object?> { ["currentVersion"] = version } : null;
        // A store failure says what is wrong with the store, so the operator paged by the 503s knows where to look.
        var detail = ex.Failure == Failure.Unavailable ? StoreFaults.Describe(ex.InnerException) : null;
        return TypedResults.Problem(title: ex.Message, detail: detail, statusCode: status, extensions: extensions);
    }
}

/// <summary>
/// Last line of defence: malformed JSON and binding errors become a 400 that says what was wrong; an engine
/// refusal that escaped a handler keeps its status; anything else is logged and is a 503, never a bare 500 page.
/// </summary>
public sealed class ApiExceptionHandler(IProblemDetailsService problems, ApiExceptionHandler.Throttle throttle, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Unexpected errors are logged once per exception type and route per interval, then counted.</summary>
    public sealed record Throttle(LogThrottle Log);

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException bad when bad.InnerException is JsonException json =>
                (StatusCodes.Status400BadRequest, $"The request body is not valid JSON for this route: {json.Message}"),
            BadHttpRequestException bad => (bad.StatusCode, bad.Message),
            SessionException refused => (((IStatusCodeHttpResult)ApiSetup.Problem(refused)).StatusCode ?? 400, refused.Message),
            DbException or TimeoutException => (StatusCodes.Status503ServiceUnavailable, "The session store is unavailable; nothing was changed. Retry in a moment."),
            _ => (StatusCodes.Status503ServiceUnavailable, "The session service hit an unexpected error; nothing was changed. Retry, and report it if it persists."),
        };
        if (status >= 500)
        {
            // The route pattern, never the raw path (a session ID in a URL is a credential); once per kind per interval.
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            var kind = $"{exception.GetType().Name} on {route}";
            if (throttle.Log.Count(kind, out var held))
            {
                if (held > 0) logger.LogError("{ErrorKind} happened {Count} more times in the last {Interval}", kind, held, throttle.Log.Interval);
                logger.LogError(exception, "Unhandled error ({ErrorKind}); more of this kind within {Interval} are counted, not logged", kind, throttle.Log.Interval);
            }
        }
        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = status == StatusCodes.Status503ServiceUnavailable ? StoreFaults.Describe(exception) : null },
        });
    }
}
