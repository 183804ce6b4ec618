using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;

namespace WikiSessions.Dashboard.Components.Pages.Sessions;

public static class SessionCsv
{
    /// <summary>The filter as the query string of the admin API's sessions routes.</summary>
    public static string Query(SessionFilter filter)
    {
        var parts = new List<string>();
        void Add(string key, string? value) { if (!string.IsNullOrEmpty(value)) parts.Add($"{key}={Uri.EscapeDataString(value)}"); }
        Add("wiki", filter.Wiki);
        Add("user", filter.User);
        Add("provider", filter.Provider is { } provider ? WireNames.Of(provider) : null);
        Add("ip", filter.Ip);
        Add("active", filter.Active is { } a ? (a ? "true" : "false") : null);
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }
}
