using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WikiSessions.Testing;

/// <summary>What a test needs to run Debian's MediaWiki 1.39 with PHP, and whether this machine has it.</summary>
public static class MediaWikiSetup
{
    public const string Packages = "mediawiki php-sqlite3 php-cli php-curl php-intl php-mbstring php-xml";
    public const string Root = "/usr/share/mediawiki";
    public const string Password = "Kask-test-password-2026";

    /// <summary>The users every wiki gets: one per test, so tests do not see each other's sessions.</summary>
    public static readonly string[] Users = ["Kask Ada", "Kask Rem", "Kask Tom", "Kask Leo"];

    public static bool InCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static string? Php { get; } = new[] { "/usr/bin/php", "/usr/local/bin/php" }.FirstOrDefault(File.Exists);

    /// <summary>What is missing to run a real MediaWiki here, or null.</summary>
    public static string? Missing =>
        !Directory.Exists(Root) ? $"MediaWiki is not installed ({Root} is missing)"
        : Php is null ? "PHP is not installed (no php on /usr/bin)"
        : !PhpHasCurl() ? "PHP's curl extension is missing (without php-curl MediaWiki drops the Authorization header)"
        : null;

    private static bool PhpHasCurl()
    {
        try
        {
            using var php = Process.Start(new ProcessStartInfo(Php!, "-m") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var modules = php.StandardOutput.ReadToEnd();
            php.WaitForExit();
            return modules.Split('\n').Any(m => m.Trim() == "curl");
        }
        catch (Exception)
        {
            return false;
        }
    }
}

/// <summary>One installed wiki served by <c>php -S</c>, and what it printed.</summary>
public sealed class MediaWikiInstance : IWikiSite, IDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _server;

    private MediaWikiInstance(string dbName, string key, int port, string folder)
    {
        DbName = dbName;
        Key = key;
        Port = port;
        Folder = folder;
    }

    public string DbName { get; }
    public string Key { get; }
    public int Port { get; }
    public string Folder { get; }
    public Uri Server => new($"http://127.0.0.1:{Port}/");
    public Uri Api => new(Server, "api.php");

    /// <summary>The config file the wiki runs with: the installer's LocalSettings.php plus the session store.</summary>
    public string ConfigFile => Path.Combine(Folder, ConfigFileName);

    public const string ConfigFileName = "KaskSettings.php";

    /// <summary>Installs and starts a wiki; with <paramref name="hmacKey"/> MediaWiki signs its sessions and checks them on read.</summary>
    public static async Task<MediaWikiInstance> InstallAsync(string dbName, string folder, string key, Uri store, string? hmacKey)
    {
        var wiki = new MediaWikiInstance(dbName, key, FreePort(), folder);
        try
        {
            await wiki.RunAsync(null, "maintenance/install.php", "--dbtype", "sqlite", "--dbpath", folder, "--dbname", dbName,
                "--server", $"http://127.0.0.1:{wiki.Port}", "--scriptpath", "", "--confpath", folder,
                "--pass", MediaWikiSetup.Password, $"Kask {dbName}", "Admin");
            await File.WriteAllTextAsync(wiki.ConfigFile, Settings(folder, store, key, hmacKey));
            foreach (var user in MediaWikiSetup.Users)
                await wiki.RunAsync(Path.Combine(folder, "LocalSettings.php"), "maintenance/createAndPromote.php", user, MediaWikiSetup.Password);
            await wiki.StartAsync();
            return wiki;
        }
        catch
        {
            wiki.Dispose();
            throw;
        }
    }

    /// <summary>The lines docs/mediawiki.md gives operators, plus debug logs for the tests.</summary>
    public static string Settings(string folder, Uri store, string key, string? hmacKey) => $$"""
        <?php
        require __DIR__ . '/LocalSettings.php';

        // Sessions are kept by WikiSessions (the Kask protocol), authenticated with this wiki's key.
        $wgObjectCaches['sessions'] = [
            'class' => 'RESTBagOStuff',
            'url' => '{{store}}',
            'httpParams' => [
                'readHeaders' => [ 'Authorization' => 'Bearer {{key}}' ],
                'writeHeaders' => [ 'Authorization' => 'Bearer {{key}}', 'content-type' => 'application/octet-stream' ],
                'deleteHeaders' => [ 'Authorization' => 'Bearer {{key}}' ],
                'writeMethod' => 'POST',
            ],
            'serialization_type' => 'JSON',{{(hmacKey is null ? "" : $"\n    'hmac_key' => '{hmacKey}',")}}
            // Generous for a test machine busy with other tests (the defaults are 1.2 s and 3 s).
            'connTimeout' => 10,
            'reqTimeout' => 30,
        ];
        $wgSessionCacheType = 'sessions';

        // A main cache that maintenance scripts share with the web server: with APCu (CACHE_ACCEL, the installer's
        // choice) invalidateUserSessions.php cannot purge the server's cached user, and its old token keeps working.
        $wgMainCacheType = CACHE_DB;

        // For the tests: what went wrong, where a failing test prints it.
        $wgShowExceptionDetails = true;
        $wgDebugLogGroups['session'] = '{{folder}}/debug-session.log';
        $wgDebugLogGroups['objectcache'] = '{{folder}}/debug-objectcache.log';
        $wgDebugLogGroups['http'] = '{{folder}}/debug-http.log';
        $wgDebugLogGroups['exception'] = '{{folder}}/debug-exception.log';
        $wgDebugLogGroups['error'] = '{{folder}}/debug-exception.log';
        """;

    /// <summary>Runs a maintenance script from MediaWiki's folder with this wiki's config (none for the installer).</summary>
    public async Task RunAsync(string? configFile, string script, params string[] args)
    {
        var start = new ProcessStartInfo(MediaWikiSetup.Php!)
        {
            WorkingDirectory = MediaWikiSetup.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("MW_CONFIG_FILE");
        if (configFile is not null) start.Environment["MW_CONFIG_FILE"] = configFile;
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
            throw new TimeoutException($"{script} on {DbName} took over 2 minutes.\n{await output}\n{await error}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} on {DbName} exited with {process.ExitCode}:\n{await output}\n{await error}");
    }

    private async Task StartAsync()
    {
        var start = new ProcessStartInfo(MediaWikiSetup.Php!)
        {
            WorkingDirectory = MediaWikiSetup.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-S", $"127.0.0.1:{Port}", "-t", MediaWikiSetup.Root }) start.ArgumentList.Add(a);
        start.Environment["MW_CONFIG_FILE"] = ConfigFile;
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => Keep(e.Data);
        _server.ErrorDataReceived += (_, e) => Keep(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();

        // Wait, bounded, until the wiki answers an API request.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (_server.HasExited) throw new InvalidOperationException($"php -S for {DbName} exited with {_server.ExitCode}:\n{Log()}");
            try
            {
                var answer = await http.GetAsync(new Uri(Api, "?action=query&meta=siteinfo&format=json"));
                if (answer.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{DbName} did not answer on port {Port} within 30 s:\n{Log()}");
            await Task.Delay(200);
        }
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _log.Enqueue(line);
        while (_log.Count > 300) _log.TryDequeue(out _);
    }

    /// <summary>The tail of php -S's output and of MediaWiki's debug logs.</summary>
    public string Log()
    {
        var text = new StringBuilder($"--- php -S {DbName} (port {Port}) ---\n");
        foreach (var line in _log) text.AppendLine(line);
        foreach (var file in Directory.Exists(Folder) ? Directory.GetFiles(Folder, "debug-*.log") : [])
        {
            text.AppendLine($"--- {Path.GetFileName(file)} ({DbName}) ---");
            foreach (var line in File.ReadLines(file).TakeLast(80)) text.AppendLine(line);
        }
        return text.ToString();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (_server is { HasExited: false }) _server.Kill(entireProcessTree: true);
        _server?.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}
