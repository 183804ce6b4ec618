using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using WikiSessions.Testing;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace WikiSessions.Dashboard.Tests.MediaWiki;

/// <summary>
/// A test that needs Debian's MediaWiki and PHP. On a developer's machine without them it is skipped and says
/// what to install; in CI (the <c>CI</c> environment variable is set) it runs, and fails, since CI installs them.
/// </summary>
public sealed class MediaWikiFactAttribute : FactAttribute
{
    public MediaWikiFactAttribute()
    {
        if (MediaWikiSetup.Missing is { } missing && !MediaWikiSetup.InCi)
            Skip = $"{missing}; install with: sudo apt-get install -y {MediaWikiSetup.Packages} (CI installs them and runs this test)";
    }
}

/// <summary>
/// Two throwaway MediaWiki 1.39 wikis (Debian's package, SQLite, <c>php -S</c> on loopback ports) whose sessions
/// are kept by the app over the Kask protocol at <c>/sessions/v1/</c>, each with its own wiki key. The wikis
/// use two dbnames of the seeded farm, so their keys are the demo credentials; test2wiki also signs its sessions
/// (<c>hmac_key</c>), so the store must return them byte for byte.
/// </summary>
public sealed class MediaWikiFarm : IAsyncLifetime
{
    // Folders made before the app starts: the app's configuration names test2wiki's config file.
    private readonly string _folderA = Directory.CreateTempSubdirectory("wikisessions-mw-testwiki-").FullName;
    private readonly string _folderB = Directory.CreateTempSubdirectory("wikisessions-mw-test2wiki-").FullName;

    public MediaWikiFarm() => App = new MediaWikiAppFactory(_folderB);

    /// <summary>
    /// The app. It resets a user's token on test2wiki when a steward invalidates the user (the wiki's
    /// <c>ResetTokenCommand</c>); testwiki names no command, so there the Token cookie can restore the user.
    /// </summary>
    public LoopbackAppFactory App { get; }
    public MediaWikiInstance A { get; private set; } = null!;
    public MediaWikiInstance B { get; private set; } = null!;

    /// <summary>Seconds the installs took (both wikis, in parallel, with their users).</summary>
    public TimeSpan InstallTime { get; private set; }

    public async Task InitializeAsync()
    {
        if (MediaWikiSetup.Missing is { } missing)
        {
            if (MediaWikiSetup.InCi) throw new InvalidOperationException($"{missing}. CI must run the MediaWiki tests: tests/run.sh installs {MediaWikiSetup.Packages} as root.");
            return; // the tests are skipped
        }
        var store = new Uri(App.Address, "/sessions/v1/");
        var clock = Stopwatch.StartNew();
        var installs = await Task.WhenAll(
            MediaWikiInstance.InstallAsync("testwiki", _folderA, LoopbackAppFactory.WikiKey("testwiki"), store, hmacKey: null),
            MediaWikiInstance.InstallAsync("test2wiki", _folderB, LoopbackAppFactory.WikiKey("test2wiki"), store, hmacKey: Convert.ToHexString(RandomNumberGenerator.GetBytes(32))));
        (A, B) = (installs[0], installs[1]);
        InstallTime = clock.Elapsed;
    }

    /// <summary>Runs a test's steps; when one fails, the failure carries what both wikis printed and logged.</summary>
    public async Task ExplainAsync(Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}\n\n{A.Log()}\n{B.Log()}");
        }
    }

    public async Task DisposeAsync()
    {
        A?.Dispose();
        B?.Dispose();
        await App.DisposeAsync();
        foreach (var folder in new[] { _folderA, _folderB })
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The app, configured to reset a user's token on test2wiki with MediaWiki's own maintenance script.</summary>
public sealed class MediaWikiAppFactory(string test2wikiFolder) : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("MediaWiki:Wikis:test2wiki:ResetTokenCommand", $"{MediaWikiSetup.Php ?? "php"} maintenance/invalidateUserSessions.php --user {{user}}"),
        new("MediaWiki:Wikis:test2wiki:WorkingDirectory", MediaWikiSetup.Root),
        new("MediaWiki:Wikis:test2wiki:Environment:MW_CONFIG_FILE", Path.Combine(test2wikiFolder, MediaWikiInstance.ConfigFileName)),
    ];
}

