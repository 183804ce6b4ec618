using System.Text.Json;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Api;

/// <summary>
/// The limits on everything a wiki server, a script or a visitor can send, checked before the engine sees it
/// (docs/api-contract.md, "Limits"). A value past a limit is refused with a 400 that names the field, never cut.
/// </summary>
public static class InputLimits
{
    public const int Wiki = 64;
    public const int User = UserNames.MaxLength;
    /// <summary>MediaWiki's own limit on a bot password's app ID.</summary>
    public const int AppId = 32;
    public const int Consumer = 128;
    /// <summary>Session IDs (32 hex digits), handles (16) and trace IDs (32) in routes, with room to spare.</summary>
    public const int Key = 64;
    public const int Word = 16;
    /// <summary>The dashboard dialog allows the same.</summary>
    public const int Reason = WikiSessions.Core.Admin.AdminService.MaxReasonLength;
    public const int UserAgent = 512;
    public const int Ip = IpKeys.MaxAddressLength;
    public const int IpFilter = IpKeys.MaxAddressLength + 4;
    public const int Authorization = CookieRules.MaxValueLength;
    public const int Cookies = 64;
    public const int CookieName = 256;
    public const int CookieValue = CookieRules.MaxValueLength;
    public const int QueryParameters = 16;
    /// <summary>Any route value or query parameter not named in <see cref="Parameters"/>.</summary>
    public const int OtherParameter = 128;
    /// <summary>Nesting of any JSON body, session data included.</summary>
    public const int JsonDepth = 32;
    public const long RequestBodyBytes = 1024 * 1024;
    public const int RequestHeadersBytes = 32 * 1024;

    /// <summary>The longest value of each route value and query parameter of the API.</summary>
    public static readonly IReadOnlyDictionary<string, int> Parameters = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase)
    {
        ["wiki"] = Wiki, ["id"] = Key, ["handle"] = Key, ["traceId"] = Key,
        ["user"] = User, ["name"] = User, ["prefix"] = User,
        ["consumer"] = Consumer, ["appId"] = AppId,
        ["key"] = WikiSessions.Core.MediaWiki.MediaWikiStore.MaxKeyLength,
        ["provider"] = Word, ["ip"] = IpFilter, ["page"] = 10, ["pageSize"] = 10, ["active"] = 5, ["resurrected"] = 5,
        ["from"] = 40, ["to"] = 40, ["remember"] = 5, ["origin"] = Word, ["endReason"] = Word * 2,
    };

    /// <summary>A JSON value whose every property name and string is valid Unicode, nested at most <see cref="JsonDepth"/> deep.</summary>
    public static void Json(JsonElement element, string field, int depth = 0)
    {
        if (depth > JsonDepth) throw Invalid($"'{field}' is nested deeper than {JsonDepth} levels.");
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsWellFormed(() => property.Name)) throw Invalid($"'{field}' has a property name that is not valid Unicode text (a lone surrogate such as \\ud800).");
                    Json(property.Value, field, depth + 1);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Json(item, field, depth + 1);
                break;
            case JsonValueKind.String:
                if (!IsWellFormed(element.GetString)) throw Invalid($"'{field}' has a string that is not valid Unicode text (a lone surrogate such as \\ud800).");
                break;
        }
    }

    private static bool IsWellFormed(Func<string?> read)
    {
        try
        {
            return BoundedText.IsWellFormed(read());
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses to turn an escaped lone surrogate into a string.
            return false;
        }
    }

    /// <summary>Every route value and query parameter within its limit, before any handler or the engine sees it.</summary>
    public static async ValueTask<object?> RouteAndQuery(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        try
        {
            foreach (var (name, value) in request.RouteValues)
                if (value is string text) PlainText.Check(text, name, Parameters.GetValueOrDefault(name, OtherParameter));
            if (request.Query.Count > QueryParameters) throw Invalid($"At most {QueryParameters} query parameters are accepted.");
            foreach (var (name, values) in request.Query)
            {
                PlainText.Check(name, "query parameter name", Word * 2);
                if (values.Count > 1) throw Invalid($"Query parameter '{name}' is given {values.Count} times; give it once.");
                PlainText.Check(values.ToString(), name, Parameters.GetValueOrDefault(name, OtherParameter));
            }
        }
        catch (SessionException ex)
        {
            return ApiSetup.Problem(ex);
        }
        return await next(context);
    }

    private static SessionException Invalid(string title) => new(Failure.Invalid, title);
}
