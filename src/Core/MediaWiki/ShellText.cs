namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// Text the console gives staff to paste into a shell on a wiki server. A user name is chosen by whoever registered it,
/// so it goes into a command only through <see cref="Quote"/>: a name like <c>Eve'$(id -un)'</c> then stays one argument
/// and runs nothing.
/// </summary>
public static class ShellText
{
    /// <summary>
    /// <paramref name="text"/> as one word for a POSIX shell: in single quotes, where nothing is special, with each
    /// single quote written as <c>'\''</c> (close the quotes, an escaped quote, open them again).
    /// </summary>
    public static string Quote(string text) => "'" + text.Replace("'", @"'\''", StringComparison.Ordinal) + "'";

    /// <summary>The maintenance command that resets <paramref name="userName"/>'s token on a wiki, run from MediaWiki's folder.</summary>
    public static string ResetTokenCommand(string userName) => "php maintenance/invalidateUserSessions.php --user " + Quote(userName);
}
