using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Data.Sqlite;
using WikiSessions.Testing;

namespace WikiSessions.Dashboard.Tests.MediaWiki;

/// <summary>What the CentralAuth farm needs beyond MediaWiki: the extension's tarball, which no registry here serves.</summary>
public static class CentralAuthSetup
{
    /// <summary>
    /// <c>../shared/centralauth/CentralAuth-REL1_39.tar.gz</c> beside the repository's folder, as the farm's machines
    /// keep it, or the file <c>CENTRALAUTH_TARBALL</c> names.
    /// </summary>
    public static string Tarball => Environment.GetEnvironmentVariable("CENTRALAUTH_TARBALL") is { Length: > 0 } path ? path
        : Path.GetFullPath(Path.Combine(RepositoryRoot(), "..", "shared", "centralauth", "CentralAuth-REL1_39.tar.gz"));

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Dashboard.sln"))) return folder.FullName;
        return AppContext.BaseDirectory;
    }

    /// <summary>What is missing to build the farm here, or null.</summary>
    public static string? Missing =>
        MediaWikiSetup.Missing ?? (File.Exists(Tarball) ? null
            : $"the CentralAuth REL1_39 tarball is missing ({Tarball}; set CENTRALAUTH_TARBALL to its path)");
}

/// <summary>
/// A test on the CentralAuth farm. Skipped with the reason on a machine without MediaWiki, PHP or the tarball; in CI
/// (<c>CI</c> set) it runs, and fails saying what is missing.
/// </summary>
public sealed class CentralAuthFactAttribute : FactAttribute
{
    public CentralAuthFactAttribute()
    {
        if (CentralAuthSetup.Missing is { } missing && !MediaWikiSetup.InCi)
            Skip = MediaWikiSetup.Missing is null ? $"{missing} (CI must have it and runs this test)"
                : $"{missing}; install with: sudo apt-get install -y {MediaWikiSetup.Packages} (CI installs them and runs this test)";
    }
}

/// <summary>One wiki of the farm, served by its own <c>php -S</c>.</summary>
public sealed record FarmWiki(string DbName, int Port) : IWikiSite
{
    public Uri Server => new($"http://127.0.0.1:{Port}/");
    public Uri Api => new(Server, "api.php");
}

/// <summary>
/// A CentralAuth farm as Wikimedia runs one, on Debian's MediaWiki 1.39, SQLite and <c>php -S</c>
/// (../shared/centralauth/RECIPE.md): loginwiki (the central login wiki), enwiki and dewiki, one settings file, the
/// extension unpacked from the tarball, one <c>php -S</c> per wiki on loopback ports (cookies ignore ports, so the
/// central cookies are shared as on one domain). Every wiki keeps its local sessions, the central sessions and
/// CentralAuth's tokens in the app (<c>$wgSessionCacheType = $wgCentralAuthSessionCacheType =
/// $wgCentralAuthTokenCacheType</c>), PHP-serialized and signed as Wikimedia configures it, each with its own wiki key.
/// </summary>
public class CentralAuthFarm : IAsyncLifetime
{
    public const string SettingsFile = "farm.php";
    private readonly string _folder = Directory.CreateTempSubdirectory("wikisessions-centralauth-").FullName;
    private readonly List<Process> _servers = [];
    private readonly Dictionary<string, Queue<string>> _logs = [];

    public CentralAuthFarm() => App = new CentralAuthAppFactory(Path.Combine(_folder, SettingsFile));

    public LoopbackAppFactory App { get; }
    public FarmWiki Login { get; } = new("loginwiki", FreePort());
    public FarmWiki En { get; } = new("enwiki", FreePort());
    public FarmWiki De { get; } = new("dewiki", FreePort());
    public IReadOnlyList<FarmWiki> Wikis => [Login, En, De];

    /// <summary>The users of the farm's tests, global (CentralAuth) accounts made on loginwiki: one per test.</summary>
    public static readonly string[] Users = ["Farm Ada", "Farm Bea", "Farm Cy", "Farm Dot", "Farm Eve", "Farm Fay", "Farm Gus", "Farm Hal", "Farm Ivy"];

    /// <summary>How long building the farm took: unpacking, three installs, CentralAuth's tables, users, servers.</summary>
    public TimeSpan StartTime { get; private set; }

    public string Folder => _folder;

    /// <summary>A wiki that runs its own copy of CentralAuth with one line changed (a drill), or null: the shared tarball is never changed.</summary>
    protected virtual CentralAuthPatch? Patch => null;

    public async Task InitializeAsync()
    {
        if (CentralAuthSetup.Missing is { } missing)
        {
            if (MediaWikiSetup.InCi) throw new InvalidOperationException($"{missing}. CI must run the CentralAuth farm tests.");
            return; // the tests are skipped and say why
        }
        var clock = Stopwatch.StartNew();
        var extension = Directory.CreateDirectory(Path.Combine(_folder, "CentralAuth")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(_folder, "data")).FullName;
        await RunAsync("tar", ["xzf", CentralAuthSetup.Tarball, "-C", extension], null, null);
        if (Patch is { } patch) await patch.ApplyAsync(_folder);

        // The installer writes one LocalSettings.php per wiki (kept for its secrets); one at a time, as they share the data folder.
        foreach (var wiki in Wikis)
            await RunAsync(MediaWikiSetup.Php!, ["maintenance/install.php", "--dbtype", "sqlite", "--dbpath", data, "--dbname", wiki.DbName,
                "--server", wiki.Server.ToString().TrimEnd('/'), "--scriptpath", "", "--confpath", Directory.CreateDirectory(Path.Combine(_folder, "install-" + wiki.DbName)).FullName,
                "--pass", MediaWikiSetup.Password, wiki.DbName, "Admin"], null, null);
        await File.WriteAllTextAsync(Path.Combine(_folder, SettingsFile), Settings(new Uri(App.Address, "/sessions/v1/"), Convert.ToHexString(RandomNumberGenerator.GetBytes(32))));

        // REL1_39's update.php does not create CentralAuth's tables.
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(data, "centralauth.sqlite")};Pooling=false"))
        {
            await db.OpenAsync();
            await using var create = db.CreateCommand();
            create.CommandText = (await File.ReadAllTextAsync(Path.Combine(extension, "schema/sqlite/tables-generated.sql"))).Replace("/*_*/", "");
            await create.ExecuteNonQueryAsync();
        }

        // Global accounts, made on the login wiki; a login on another wiki creates the local account there, as in production.
        foreach (var user in Users)
            await RunScriptAsync(Login, "maintenance/createAndPromote.php", user, MediaWikiSetup.Password);
        await Task.WhenAll(Wikis.Select(StartAsync));
        StartTime = clock.Elapsed;
    }

    /// <summary>
    /// The farm's one settings file: the installer's file of the wiki, the wikis' addresses for CentralLogin, the store
    /// exactly as docs/centralauth.md configures it (each wiki its own key), and CentralAuth.
    /// </summary>
    private string Settings(Uri store, string hmacKey)
    {
        string Map(Func<FarmWiki, string> value) => string.Join(", ", Wikis.Select(w => $"'{w.DbName}' => '{value(w)}'"));
        return $$"""
            <?php
            // The wiki of the request: --wiki=<dbname> for maintenance scripts, FARM_WIKI for each wiki's php -S.
            $farmWiki = defined( 'MW_DB' ) ? MW_DB : getenv( 'FARM_WIKI' );
            require __DIR__ . "/install-$farmWiki/LocalSettings.php";
            $farmServers = [ {{Map(w => w.Server.ToString().TrimEnd('/'))}} ];
            $farmKeys = [ {{Map(w => LoopbackAppFactory.WikiKey(w.DbName))}} ];

            $wgLocalDatabases = $wgConf->wikis = array_keys( $farmServers );
            $wgConf->suffixes = [ 'wiki' ];
            $wgConf->settings = [
                'wgServer' => $farmServers,
                'wgCanonicalServer' => $farmServers,
                'wgArticlePath' => [ 'default' => '/index.php/$1' ],
                'wgScriptPath' => [ 'default' => '' ],
            ];
            $wgConf->extractAllGlobals( $wgDBname );

            // Sessions, central sessions and CentralAuth's tokens in WikiSessions, as docs/centralauth.md says.
            $farmKey = $farmKeys[$wgDBname];
            $wgObjectCaches['wikisessions'] = [
                'class' => 'RESTBagOStuff',
                'url' => '{{store}}',
                'httpParams' => [
                    'readHeaders' => [ 'Authorization' => "Bearer $farmKey" ],
                    'writeHeaders' => [ 'Authorization' => "Bearer $farmKey", 'content-type' => 'application/octet-stream' ],
                    'deleteHeaders' => [ 'Authorization' => "Bearer $farmKey" ],
                    'writeMethod' => 'POST',
                ],
                'serialization_type' => 'PHP',
                'hmac_key' => '{{hmacKey}}',
                // Generous for a test machine busy with other tests (the defaults are 1.2 s and 3 s).
                'connTimeout' => 10,
                'reqTimeout' => 30,
            ];
            $wgSessionCacheType = $wgCentralAuthSessionCacheType = $wgCentralAuthTokenCacheType = 'wikisessions';

            // Shared by the web servers and maintenance scripts (see docs/mediawiki.md); jobs in each wiki's own database.
            $wgMainCacheType = CACHE_DB;
            $wgJobTypeConf['default'] = [ 'class' => 'JobQueueDB', 'claimTTL' => 3600 ];
            $wgJobRunRate = 0;
            $wgPasswordAttemptThrottle = [];

            wfLoadExtension( 'CentralAuth', __DIR__ . '/' . {{(Patch is { } p ? $"( $wgDBname === '{p.DbName}' ? '{p.Folder}' : 'CentralAuth' )" : "'CentralAuth'")}} . '/extension.json' );
            $wgCentralAuthDatabase = 'centralauth';
            $wgCentralAuthCookies = true;
            $wgCentralAuthLoginWiki = 'loginwiki';
            $wgCentralAuthCookieDomain = '';

            // For the tests: what went wrong, where a failing test prints it.
            $wgShowExceptionDetails = true;
            $wgDebugLogGroups['session'] = __DIR__ . "/debug-$wgDBname-session.log";
            $wgDebugLogGroups['CentralAuth'] = __DIR__ . "/debug-$wgDBname-centralauth.log";
            $wgDebugLogGroups['objectcache'] = __DIR__ . "/debug-$wgDBname-objectcache.log";
            $wgDebugLogGroups['exception'] = __DIR__ . "/debug-$wgDBname-exception.log";
            """;
    }

    /// <summary>Runs a maintenance script (MediaWiki's, or CentralAuth's by its path) on one wiki of the farm.</summary>
    public Task RunScriptAsync(FarmWiki wiki, string script, params string[] args) =>
        RunAsync(MediaWikiSetup.Php!, [script, $"--wiki={wiki.DbName}", .. args], Path.Combine(_folder, SettingsFile), null);

    private async Task RunAsync(string program, string[] args, string? configFile, string? farmWiki)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = MediaWikiSetup.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        // The installer must run without MW_CONFIG_FILE; CentralAuth's scripts find MediaWiki through MW_INSTALL_PATH.
        start.Environment.Remove("MW_CONFIG_FILE");
        if (configFile is not null) start.Environment["MW_CONFIG_FILE"] = configFile;
        start.Environment["MW_INSTALL_PATH"] = MediaWikiSetup.Root;
        if (farmWiki is not null) start.Environment["FARM_WIKI"] = farmWiki;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} took over 2 minutes.\n{await output}\n{await error}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }

    private async Task StartAsync(FarmWiki wiki)
    {
        var start = new ProcessStartInfo(MediaWikiSetup.Php!) { WorkingDirectory = MediaWikiSetup.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-S", $"127.0.0.1:{wiki.Port}", "-t", MediaWikiSetup.Root }) start.ArgumentList.Add(a);
        start.Environment["MW_CONFIG_FILE"] = Path.Combine(_folder, SettingsFile);
        start.Environment["FARM_WIKI"] = wiki.DbName;
        var log = new Queue<string>();
        lock (_logs) _logs[wiki.DbName] = log;
        var server = Process.Start(start)!;
        lock (_servers) _servers.Add(server);
        void Keep(string? line)
        {
            if (line is null) return;
            lock (log)
            {
                log.Enqueue(line);
                if (log.Count > 200) log.Dequeue();
            }
        }
        server.OutputDataReceived += (_, e) => Keep(e.Data);
        server.ErrorDataReceived += (_, e) => Keep(e.Data);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();

        // Wait, bounded, until the wiki answers an API request.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (server.HasExited) throw new InvalidOperationException($"php -S for {wiki.DbName} exited with {server.ExitCode}:\n{Log()}");
            try
            {
                if ((await http.GetAsync(new Uri(wiki.Api, "?action=query&meta=siteinfo&format=json"))).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{wiki.DbName} did not answer on port {wiki.Port} within 60 s:\n{Log()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Runs a test's steps; when one fails, the failure carries what the wikis printed and logged.</summary>
    public async Task ExplainAsync(Func<Task> steps)
    {
        try
        {
            await steps();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}\n\n{Log()}");
        }
    }

    /// <summary>The tail of each php -S's output and of MediaWiki's debug logs.</summary>
    public string Log()
    {
        var text = new StringBuilder();
        lock (_logs)
            foreach (var (wiki, log) in _logs)
            {
                text.AppendLine($"--- php -S {wiki} ---");
                lock (log) foreach (var line in log) text.AppendLine(line);
            }
        foreach (var file in Directory.Exists(_folder) ? Directory.GetFiles(_folder, "debug-*.log") : [])
        {
            text.AppendLine($"--- {Path.GetFileName(file)} ---");
            foreach (var line in File.ReadLines(file).TakeLast(60)) text.AppendLine(line);
        }
        return text.ToString();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public async Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
            server.Dispose();
        }
        await App.DisposeAsync();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}

/// <summary>
/// One wiki's own copy of CentralAuth with <paramref name="Find"/> replaced by <paramref name="Replace"/> in
/// <paramref name="File"/>; <paramref name="Find"/> must occur exactly once, so a drill notices when the code it breaks moves.
/// </summary>
public sealed record CentralAuthPatch(string DbName, string File, string Find, string Replace)
{
    public string Folder => $"CentralAuth-{DbName}";

    public async Task ApplyAsync(string farmFolder)
    {
        var copy = Directory.CreateDirectory(Path.Combine(farmFolder, Folder)).FullName;
        using (var tar = Process.Start(new ProcessStartInfo("tar", ["xzf", CentralAuthSetup.Tarball, "-C", copy]))!)
        {
            await tar.WaitForExitAsync();
            if (tar.ExitCode != 0) throw new InvalidOperationException($"tar could not unpack {CentralAuthSetup.Tarball} (exit {tar.ExitCode}).");
        }
        var path = Path.Combine(copy, File);
        var text = await System.IO.File.ReadAllTextAsync(path);
        var at = text.IndexOf(Find, StringComparison.Ordinal);
        if (at < 0 || text.IndexOf(Find, at + 1, StringComparison.Ordinal) >= 0)
            throw new InvalidOperationException($"The drill's line is not in {File} exactly once: {Find}");
        await System.IO.File.WriteAllTextAsync(path, text[..at] + Replace + text[(at + Find.Length)..]);
    }
}

/// <summary>
/// The app of the farm: it resets a user's global token through enwiki (CentralAuth's provider resets it farm-wide,
/// so one wiki's command serves the farm); loginwiki and dewiki name none.
/// </summary>
public sealed class CentralAuthAppFactory(string settingsFile) : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("MediaWiki:Wikis:enwiki:ResetTokenCommand", $"{MediaWikiSetup.Php ?? "php"} maintenance/invalidateUserSessions.php --wiki=enwiki --user {{user}}"),
        new("MediaWiki:Wikis:enwiki:WorkingDirectory", MediaWikiSetup.Root),
        new("MediaWiki:Wikis:enwiki:Environment:MW_CONFIG_FILE", settingsFile),
        new("MediaWiki:Wikis:enwiki:Environment:MW_INSTALL_PATH", MediaWikiSetup.Root),
    ];
}
