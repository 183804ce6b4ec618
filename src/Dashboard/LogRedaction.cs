using System.Text.RegularExpressions;
using Serilog.Core;
using Serilog.Events;

namespace WikiSessions.Dashboard;

/// <summary>
/// Keeps credentials out of every log line, whoever wrote it: the framework's request scope carries the raw path,
/// which on the data routes holds a session ID, and a hub connection's URL may carry its access token.
/// </summary>
public sealed partial class LogRedaction : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        foreach (var (name, value) in logEvent.Properties.ToList())
        {
            if (value is ScalarValue { Value: string text } && Redact(text) is var redacted && !ReferenceEquals(redacted, text))
                logEvent.AddOrUpdateProperty(new LogEventProperty(name, new ScalarValue(redacted)));
        }
    }

    /// <summary>The text with session IDs in paths and access tokens in query strings replaced; the same instance when there are none.</summary>
    public static string Redact(string text)
    {
        if (!text.Contains("/sessions/", StringComparison.OrdinalIgnoreCase) && !text.Contains("access_token", StringComparison.OrdinalIgnoreCase))
            return text;
        var redacted = AccessToken().Replace(SessionIdInPath().Replace(text, "/sessions/{id}"), "access_token=(redacted)");
        return redacted == text ? text : redacted;
    }

    [GeneratedRegex("/sessions/[0-9a-fA-F]{32}(?![0-9a-fA-F])", RegexOptions.IgnoreCase)]
    private static partial Regex SessionIdInPath();

    [GeneratedRegex("access_token=[^&\\s\"]*", RegexOptions.IgnoreCase)]
    private static partial Regex AccessToken();
}
