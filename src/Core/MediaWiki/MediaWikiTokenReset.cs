using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// MediaWiki restores a remember-me session from its own user table and the Token cookie, which the store never sees:
/// only resetting the user's token on the wiki ends it. A wiki may name a command that does
/// (<c>MediaWiki:Wikis:{dbname}:ResetTokenCommand</c>, e.g. <c>php /usr/share/mediawiki/maintenance/invalidateUserSessions.php --user {user}</c>,
/// with <c>MediaWiki:Wikis:{dbname}:Environment:MW_CONFIG_FILE</c>); it runs with a timeout, without a shell.
/// </summary>
public sealed class MediaWikiTokenReset(IConfiguration configuration, ILogger<MediaWikiTokenReset> logger)
{
    private TimeSpan Timeout => TimeSpan.TryParse(configuration["MediaWiki:ResetTokenTimeout"], out var t) ? t : TimeSpan.FromSeconds(30);

    public bool IsConfigured(string dbName) => !string.IsNullOrWhiteSpace(Command(dbName));

    /// <summary>Every wiki that names a reset command, in name order.</summary>
    public IReadOnlyList<string> ConfiguredWikis() =>
        configuration.GetSection("MediaWiki:Wikis").GetChildren().Select(w => w.Key).Where(IsConfigured).Order(StringComparer.Ordinal).ToList();

    /// <summary>Runs the wiki's command for the user; the outcome in words, for the audit log.</summary>
    public async Task<(bool Succeeded, string Outcome)> ResetAsync(string dbName, string userName, CancellationToken cancellationToken)
    {
        var words = Command(dbName)!.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var start = new ProcessStartInfo(words[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Each word is one argument whatever {user} holds, and no shell runs in between. Only a command that is itself a
        // shell reads a word as script (the one after -c), so there the name goes in quoted.
        var script = IsShell(words[0]) ? Array.IndexOf(words, "-c") + 1 : 0;
        for (var i = 1; i < words.Length; i++)
            start.ArgumentList.Add(words[i].Replace("{user}", i == script ? ShellText.Quote(userName) : userName, StringComparison.Ordinal));
        foreach (var variable in configuration.GetSection($"MediaWiki:Wikis:{dbName}:Environment").GetChildren())
            start.Environment[variable.Key] = variable.Value;
        if (configuration[$"MediaWiki:Wikis:{dbName}:WorkingDirectory"] is { Length: > 0 } folder) start.WorkingDirectory = folder;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            var error = (await stderr).Trim();
            var succeeded = process.ExitCode == 0;
            var outcome = succeeded
                ? $"token of {userName} reset on {dbName}"
                : $"token reset on {dbName} failed (exit {process.ExitCode}): {(error.Length > 200 ? error[..200] : error)}";
            if (!succeeded) logger.LogWarning("MediaWiki token reset failed on {Wiki}: exit {ExitCode}", dbName, process.ExitCode);
            return (succeeded, outcome);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("MediaWiki token reset on {Wiki} timed out after {Timeout}", dbName, Timeout);
            return (false, $"token reset on {dbName} timed out after {Timeout.TotalSeconds:0} s");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (false, $"token reset on {dbName} could not start '{words[0]}': {ex.Message}");
        }
    }

    private static bool IsShell(string program) =>
        Path.GetFileName(program) is "sh" or "bash" or "dash" or "zsh" or "ksh" or "ash" or "mksh" or "busybox";

    private string? Command(string dbName) => configuration[$"MediaWiki:Wikis:{dbName}:ResetTokenCommand"];
}
