using System.Globalization;
using System.Text;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// A reader of PHP's <c>serialize()</c> format, as MediaWiki writes session values with <c>serialization_type</c> PHP:
/// arrays, strings (lengths in bytes), integers, floats, booleans and null. Objects, enums and references are refused
/// rather than guessed at, and depth and element count are bounded, so a wiki's bytes cannot make the reader do
/// unbounded work. The result is null, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>, <see cref="PhpString"/>
/// or <see cref="PhpArray"/>.
/// </summary>
public static class PhpSerialized
{
    public const int MaxDepth = 32;
    public const int MaxElements = 10_000;

    /// <summary>The value serialized in <paramref name="bytes"/>, which must hold exactly one value.</summary>
    /// <exception cref="FormatException">Not a value this reader accepts; the message says what and where.</exception>
    public static object? Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new Reader(bytes);
        var value = reader.Value(0);
        if (reader.Position != bytes.Length) throw reader.Error("trailing bytes after the value");
        return value;
    }

    /// <summary>The value, or null with <paramref name="why"/> saying why it could not be read.</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out object? value, out string? why)
    {
        try
        {
            value = Read(bytes);
            why = null;
            return true;
        }
        catch (FormatException e)
        {
            value = null;
            why = e.Message;
            return false;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _elements;
        public int Position { get; private set; }

        public object? Value(int depth)
        {
            if (depth > MaxDepth) throw Error($"nested deeper than {MaxDepth} levels");
            if (++_elements > MaxElements) throw Error($"more than {MaxElements} elements");
            var type = Next();
            switch (type)
            {
                case (byte)'N':
                    Expect(';');
                    return null;
                case (byte)'b':
                    Expect(':');
                    var b = Until(';');
                    return b.SequenceEqual("1"u8) ? true : b.SequenceEqual("0"u8) ? false : throw Error("a boolean that is neither 0 nor 1");
                case (byte)'i':
                    Expect(':');
                    return long.TryParse(Until(';'), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i : throw Error("an integer out of range");
                case (byte)'d':
                    Expect(':');
                    return Double(Until(';'));
                case (byte)'s':
                    Expect(':');
                    var length = Length(Until(':'));
                    Expect('"');
                    if (length > _bytes.Length - Position) throw Error("a string longer than the bytes left");
                    var text = new PhpString(_bytes.Slice(Position, length).ToArray());
                    Position += length;
                    Expect('"');
                    Expect(';');
                    return text;
                case (byte)'a':
                    Expect(':');
                    var count = Length(Until(':'));
                    if (count > MaxElements) throw Error($"an array of more than {MaxElements} elements");
                    Expect('{');
                    var array = new PhpArray();
                    for (var n = 0; n < count; n++)
                    {
                        var key = Value(depth + 1) switch
                        {
                            long k => (object)k,
                            PhpString k => k,
                            _ => throw Error("an array key that is neither an integer nor a string"),
                        };
                        array.Add(key, Value(depth + 1));
                    }
                    Expect('}');
                    return array;
                case (byte)'O' or (byte)'C':
                    throw Error("an object (refused: reading one would mean guessing its class)");
                case (byte)'E':
                    throw Error("an enum (refused)");
                case (byte)'r' or (byte)'R':
                    throw Error("a reference (refused)");
                default:
                    throw Error($"unknown type '{(char)type}'");
            }
        }

        private byte Next() => Position < _bytes.Length ? _bytes[Position++] : throw Error("the value ends early");

        private void Expect(char c)
        {
            if (Next() != c) throw Error($"expected '{c}'", Position - 1);
        }

        private ReadOnlySpan<byte> Until(char end)
        {
            var rest = _bytes[Position..];
            // Numbers and lengths are short: a long run without the terminator is not PHP's output.
            var at = rest[..Math.Min(rest.Length, 64)].IndexOf((byte)end);
            if (at < 0) throw Error($"expected '{end}'");
            Position += at + 1;
            return rest[..at];
        }

        private int Length(ReadOnlySpan<byte> digits)
        {
            if (digits.IsEmpty || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                throw Error("a length that is not a non-negative integer");
            return n;
        }

        private double Double(ReadOnlySpan<byte> text)
        {
            if (text.SequenceEqual("INF"u8)) return double.PositiveInfinity;
            if (text.SequenceEqual("-INF"u8)) return double.NegativeInfinity;
            if (text.SequenceEqual("NAN"u8)) return double.NaN;
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Error("a float PHP would not write");
        }

        public readonly FormatException Error(string what, int? at = null) => new($"PHP serialized value: {what} at byte {at ?? Position}.");
    }
}

/// <summary>A PHP string: bytes, usually but not always UTF-8.</summary>
public sealed record PhpString(byte[] Bytes)
{
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);

    /// <summary>The bytes as text, or null when they are not valid UTF-8.</summary>
    public string? Text
    {
        get
        {
            try { return Strict.GetString(Bytes); }
            catch (DecoderFallbackException) { return null; }
        }
    }

    public override string ToString() => Text ?? Convert.ToHexString(Bytes);
    public bool Equals(PhpString? other) => other is not null && Bytes.AsSpan().SequenceEqual(other.Bytes);
    public override int GetHashCode() => Bytes.Length;
}

/// <summary>A PHP array: ordered entries keyed by integer or string, as PHP keeps them.</summary>
public sealed class PhpArray
{
    private readonly List<KeyValuePair<object, object?>> _entries = [];

    public IReadOnlyList<KeyValuePair<object, object?>> Entries => _entries;
    public int Count => _entries.Count;

    internal void Add(object key, object? value) => _entries.Add(new(key, value));

    /// <summary>The value under a string key (the last one, as PHP keeps the last of duplicate keys), or null.</summary>
    public object? this[string key]
    {
        get
        {
            for (var i = _entries.Count - 1; i >= 0; i--)
                if (_entries[i].Key is PhpString s && s.Text == key) return _entries[i].Value;
            return null;
        }
    }
}
