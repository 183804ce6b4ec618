using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using WikiSessions.Core.MediaWiki;
using WikiSessions.Core.Metrics;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Api;

/// <summary>
/// The protocol of Wikimedia's session store (Kask), as MediaWiki's <c>RESTBagOStuff</c> speaks it: values by key at
/// <c>/sessions/v1/{key}</c>, each wiki authorised by its own key (docs/mediawiki.md).
/// </summary>
public static class MediaWikiApi
{
    public static IEndpointRouteBuilder MapMediaWikiStore(this IEndpointRouteBuilder app)
    {
        var store = app.MapGroup("/sessions/v1")
            .WithTags("MediaWiki session store")
            .RequireAuthorization(Schemes.WikiServer)
            .AddEndpointFilter(InputLimits.RouteAndQuery)
            .AddEndpointFilter(WikiApi.EngineRefusals);
        store.MapGet("/{key}", Get).WithSummary("The bytes last written under the key, or 404.");
        store.MapPost("/{key}", Put).WithSummary("Write the bytes under the key (201 new, 204 replaced).");
        store.MapPut("/{key}", Put).WithSummary("Write the bytes under the key (201 new, 204 replaced).");
        store.MapDelete("/{key}", Delete).WithSummary("Delete the key (204, whether or not it existed).");
        return app;
    }

    private static async Task<IResult> Get(string key, HttpRequest request, ClaimsPrincipal caller, FarmDirectory farm, MediaWikiStore store, SessionMetrics metrics, CancellationToken cancellationToken)
    {
        var k = await KeyAsync(KaskKeys.Exact(request, key), caller, farm, store, cancellationToken);
        var body = await store.GetAsync(k, cancellationToken);
        if (body is null) metrics.Count(k.Wiki.DbName, Signal.Misses);
        return body is null
            ? TypedResults.Problem(title: "Nothing is stored under that key (never written, deleted, expired, or its session ended).", statusCode: StatusCodes.Status404NotFound)
            : TypedResults.Bytes(body, "application/octet-stream");
    }

    private static async Task<IResult> Put(string key, HttpRequest request, ClaimsPrincipal caller, FarmDirectory farm, MediaWikiStore store, SessionMetrics metrics,
        CancellationToken cancellationToken)
    {
        var k = await KeyAsync(KaskKeys.Exact(request, key), caller, farm, store, cancellationToken);
        if (await ReadBodyAsync(request, cancellationToken) is not { } body)
        {
            metrics.Count(k.Wiki.DbName, Signal.RefusedWrites);
            return TypedResults.Problem(title: $"A stored value is at most {MediaWikiStore.MaxBodyBytes / 1024} KB; nothing was written.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        return await store.PutAsync(k, body, cancellationToken) ? TypedResults.StatusCode(StatusCodes.Status201Created) : TypedResults.NoContent();
    }

    private static async Task<NoContent> Delete(string key, HttpRequest request, ClaimsPrincipal caller, FarmDirectory farm, MediaWikiStore store, CancellationToken cancellationToken)
    {
        await store.DeleteAsync(await KeyAsync(KaskKeys.Exact(request, key), caller, farm, store, cancellationToken), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<MediaWikiStore.StoreKey> KeyAsync(string key, ClaimsPrincipal caller, FarmDirectory farm, MediaWikiStore store, CancellationToken cancellationToken)
    {
        var wiki = await farm.FindAsync(caller.FindFirstValue(Schemes.WikiClaim) ?? "", cancellationToken)
            ?? throw new SessionException(Failure.Forbidden, "The key does not name a wiki of the farm.");
        return await store.KeyAsync(wiki, key, cancellationToken);
    }

    /// <summary>The body, or null when it is over the limit; never reads more than the limit allows.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MediaWikiStore.MaxBodyBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MediaWikiStore.MaxBodyBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
