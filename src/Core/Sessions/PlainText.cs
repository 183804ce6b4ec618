namespace WikiSessions.Core.Sessions;

/// <summary>
/// The one rule for text a client names things with (a user, a wiki, a reason): bounded, valid Unicode, and free of
/// control characters, so that it can be shown, logged, looked up and acted on. The admin API and the MediaWiki store
/// apply the same rule, so nothing can be created through one that the other cannot reach.
/// </summary>
public static class PlainText
{
    /// <summary>
    /// <paramref name="value"/> if it is at most <paramref name="max"/> characters of valid Unicode with no control
    /// characters (tab and line breaks are allowed in <paramref name="multiline"/> text); null passes.
    /// </summary>
    /// <exception cref="SessionException">Invalid, with a title that names <paramref name="field"/> and never echoes the value.</exception>
    public static string? Check(string? value, string field, int max, bool multiline = false)
    {
        if (value is null) return null;
        if (value.Length > max) throw Invalid($"'{field}' is longer than {max} characters.");
        if (!BoundedText.IsWellFormed(value)) throw Invalid($"'{field}' is not valid Unicode text: it holds a lone surrogate (such as \\ud800).");
        foreach (var c in value)
        {
            if (char.IsControl(c) && !(multiline && c is '\n' or '\r' or '\t'))
                throw Invalid($"'{field}' holds a control character (U+{(int)c:X4}); send plain text.");
        }
        return value;
    }

    private static SessionException Invalid(string title) => new(Failure.Invalid, title);
}

/// <summary>Global user names, as MediaWiki allows them and the console can act on them.</summary>
public static class UserNames
{
    /// <summary>MediaWiki's own limit on a user name.</summary>
    public const int MaxLength = 85;

    /// <summary>The name, if it is one the console can show, find and act on (<see cref="PlainText"/>, at most <see cref="MaxLength"/>).</summary>
    /// <exception cref="SessionException">Invalid, naming <paramref name="field"/>.</exception>
    public static string Check(string name, string field = "user") => PlainText.Check(name, field, MaxLength)!;
}
