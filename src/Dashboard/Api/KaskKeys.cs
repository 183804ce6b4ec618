using Microsoft.AspNetCore.Http.Features;

namespace WikiSessions.Dashboard.Api;

/// <summary>
/// A store key exactly as MediaWiki sent it: <c>RESTBagOStuff</c> puts <c>rawurlencode($key)</c> in the URL, and the
/// server decodes every escape of the path but <c>%2F</c>, so from the route value alone the keys <c>a/b</c> and
/// <c>a%2Fb</c> would be one key. The key is decoded once from the request's raw target instead.
/// </summary>
public static class KaskKeys
{
    private const string Prefix = "/sessions/v1/";

    public static string Exact(HttpRequest request, string routeKey)
    {
        var raw = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is null || !raw.StartsWith(Prefix, StringComparison.Ordinal)) return routeKey;
        var segment = raw.AsSpan(Prefix.Length);
        var end = segment.IndexOfAny('?', '#');
        if (end >= 0) segment = segment[..end];
        try
        {
            return Uri.UnescapeDataString(segment.ToString());
        }
        catch (UriFormatException)
        {
            return routeKey;
        }
    }
}
