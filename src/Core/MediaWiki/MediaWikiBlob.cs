using System.Security.Cryptography;
using System.Text;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// A value as <c>RESTBagOStuff</c> writes it: <c>{type}.{hmac}.{payload}</c>, where the type is <c>JSON</c> or <c>PHP</c>
/// (<c>serialization_type</c>), the HMAC is the base64 HMAC-SHA256 of the payload with the wiki's <c>hmac_key</c> (empty
/// without one), and the payload is <c>json_encode()</c> or <c>serialize()</c> of the value. The store keeps the bytes
/// as they came; it has no HMAC key, so it reads the payload without checking the signature (MediaWiki checks it on read).
/// </summary>
public sealed record MediaWikiBlob(string Type, string Hmac, ReadOnlyMemory<byte> Payload)
{
    public const string Json = "JSON";
    public const string Php = "PHP";

    /// <summary>The parts of <paramref name="body"/>, or null with <paramref name="why"/> when it is not such a value.</summary>
    public static MediaWikiBlob? Split(byte[] body, out string? why)
    {
        var span = body.AsSpan();
        var first = span.IndexOf((byte)'.');
        var type = first < 0 ? "" : Encoding.ASCII.GetString(span[..first]);
        if (type is not (Json or Php))
        {
            why = "it does not start with JSON. or PHP. (MediaWiki's serialization types)";
            return null;
        }
        var second = span[(first + 1)..].IndexOf((byte)'.');
        if (second < 0 || second > 64)
        {
            why = $"no signature part after {type}.";
            return null;
        }
        why = null;
        var hmacEnd = first + 1 + second;
        return new MediaWikiBlob(type, Encoding.ASCII.GetString(span[(first + 1)..hmacEnd]), body.AsMemory(hmacEnd + 1));
    }

    /// <summary>What MediaWiki writes for <paramref name="payload"/> with this <c>hmac_key</c> (none: an empty HMAC).</summary>
    public static byte[] Sign(string type, string? hmacKey, ReadOnlySpan<byte> payload) =>
        [.. Encoding.ASCII.GetBytes($"{type}.{Mac(hmacKey, payload)}."), .. payload];

    /// <summary>Whether the signature is the one <paramref name="hmacKey"/> makes, as MediaWiki checks on read.</summary>
    public bool SignedWith(string? hmacKey) => Mac(hmacKey, Payload.Span) == Hmac;

    private static string Mac(string? hmacKey, ReadOnlySpan<byte> payload) =>
        string.IsNullOrEmpty(hmacKey) ? "" : Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(hmacKey), payload));
}
