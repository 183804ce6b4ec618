using System.Globalization;
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
        Add("from", filter.From?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        Add("to", filter.To?.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        Add("remember", filter.Remember is { } r ? (r ? "true" : "false") : null);
        Add("origin", filter.Origin is { } origin ? WireNames.Of(origin) : null);
        Add("endReason", filter.EndReason is { } reason ? WireNames.Of(reason) : null);
        return parts.Count == 0 ? "" : "?" + string.Join("&", parts);
    }

    /// <summary>A login time as typed in the explorer or carried by its link, read as UTC; blank is none.</summary>
    public static bool TryTime(string? text, out DateTimeOffset? time)
    {
        time = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)) return false;
        time = parsed;
        return true;
    }
}
