using System.Text.Json;

namespace WikiSessions.Core.Sessions;

/// <summary>Provider metadata: a flat JSON object of strings, merged as MediaWiki's SessionProvider::mergeMetadata does.</summary>
public static class Metadata
{
    public static Dictionary<string, string> Parse(string json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];

    public static string Write(IReadOnlyDictionary<string, string> metadata) =>
        JsonSerializer.Serialize(metadata.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary());

    /// <summary>Keys present in both with different values: such a request is not a valid continuation of the session.</summary>
    public static IReadOnlyList<string> Conflicts(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> provided) =>
        saved.Where(s => provided.TryGetValue(s.Key, out var p) && p != s.Value).Select(s => s.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The saved metadata with the provided values added; call only when there are no conflicts.</summary>
    public static Dictionary<string, string> Merge(IReadOnlyDictionary<string, string> saved, IReadOnlyDictionary<string, string> provided)
    {
        var merged = new Dictionary<string, string>(saved);
        foreach (var (key, value) in provided) merged[key] = value;
        return merged;
    }
}
