using System.Globalization;
using System.Text;

namespace WikiSessions.Core.Staff;

/// <summary>Puts text a client chose into a log line: quoted, cut, and with control characters escaped, so it cannot forge or flood lines.</summary>
public static class LogText
{
    public const int MaxLength = 64;

    /// <param name="text">The text a client chose: a user or staff name, a reason, a key.</param>
    /// <param name="maxLength">Characters shown before the rest is cut and counted.</param>
    public static string Quote(string? text, int maxLength = MaxLength)
    {
        if (text is null) return "(none)";
        var builder = new StringBuilder(maxLength + 8).Append('\'');
        var shown = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (shown == maxLength) return builder.Append("'… (").Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(" chars)").ToString();
            shown++;
            switch (rune.Value)
            {
                case '\'': builder.Append("\\'"); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (Rune.IsControl(rune) || rune.Utf16SequenceLength == 1 && char.IsSurrogate((char)rune.Value)
                        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
                        builder.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}");
                    else
                        builder.Append(rune.ToString());
                    break;
            }
        }
        return builder.Append('\'').ToString();
    }
}
