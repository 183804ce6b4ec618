using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WikiSessions.Testing;

/// <summary>
/// The three-wiki CentralAuth farm as Wikimedia lays it out (a host name per wiki, host-only central cookies), built and
/// served by <c>scripts/centralauth-farm.sh</c>, the one builder the demo script and the browser tests share.
/// </summary>
public sealed class CentralAuthFarmScript : IAsyncDisposable
{
    /// <summary>The users the script makes, global accounts on loginwiki.</summary>
    public static readonly string[] Users = ["Farm Ada", "Farm Bea", "Farm Cy"];
    public const string Password = "Farm-password-2026";

    private readonly Process _script;
    private readonly StringBuilder _output = new();

    private CentralAuthFarmScript(Process script, string domain, int login, int en, int de)
    {
        _script = script;
        Domain = domain;
        Ports = new Dictionary<string, int> { ["loginwiki"] = login, ["enwiki"] = en, ["dewiki"] = de };
    }

    public string Domain { get; }
    public IReadOnlyDictionary<string, int> Ports { get; }

    /// <summary>A wiki's address, e.g. <c>http://enwiki.farm.test:41234</c>.</summary>
    public string Server(string dbName) => $"http://{dbName}.{Domain}:{Ports[dbName]}";

    /// <summary>
    /// <c>../shared/centralauth/CentralAuth-REL1_39.tar.gz</c> beside the repository's folder, or the file
    /// <c>CENTRALAUTH_TARBALL</c> names.
    /// </summary>
    public static string Tarball => Environment.GetEnvironmentVariable("CENTRALAUTH_TARBALL") is { Length: > 0 } path ? path
        : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "centralauth", "CentralAuth-REL1_39.tar.gz"));

    /// <summary>What is missing to build the farm here, or null.</summary>
    public static string? Missing =>
        MediaWikiSetup.Missing ?? (File.Exists(Tarball) ? null
            : $"the CentralAuth REL1_39 tarball is missing ({Tarball}; set CENTRALAUTH_TARBALL to its path)");

    private static string RepositoryRoot
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
                if (File.Exists(Path.Combine(folder.FullName, "Dashboard.sln"))) return folder.FullName;
            throw new InvalidOperationException($"No Dashboard.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Builds the farm against the app at <paramref name="app"/> and returns once every wiki answers.</summary>
    public static async Task<CentralAuthFarmScript> StartAsync(string app, string domain)
    {
        var (login, en, de) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo("bash") { WorkingDirectory = RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", "centralauth-farm.sh"));
        start.Environment.Remove("MW_CONFIG_FILE");
        start.Environment["APP"] = app;
        start.Environment["FARM_DOMAIN"] = domain;
        start.Environment["LOGIN_PORT"] = login.ToString();
        start.Environment["EN_PORT"] = en.ToString();
        start.Environment["DE_PORT"] = de.ToString();
        start.Environment["FARM_USERS"] = string.Join('|', Users);
        start.Environment["FARM_PASSWORD"] = Password;
        start.Environment["CENTRALAUTH_TARBALL"] = Tarball;
        // The script removes its folder when it stops; until then the tests read the wikis' logs there.
        var folder = Path.Combine(Path.GetTempPath(), $"wikisessions-centralauth-{Guid.NewGuid():N}");
        start.Environment["FARM_DIR"] = folder;
        var farm = new CentralAuthFarmScript(Process.Start(start)!, domain, login, en, de) { Folder = folder };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Keep(string? line)
        {
            if (line is null) return;
            lock (farm._output) farm._output.AppendLine(line);
            if (line.StartsWith("Farm ready", StringComparison.Ordinal)) ready.TrySetResult();
        }
        farm._script.OutputDataReceived += (_, e) => Keep(e.Data);
        farm._script.ErrorDataReceived += (_, e) => Keep(e.Data);
        farm._script.BeginOutputReadLine();
        farm._script.BeginErrorReadLine();
        // Three installs on a busy 2-core machine: minutes, not seconds; the wait ends as soon as the farm is ready.
        var exited = farm._script.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(10))) != ready.Task)
        {
            var output = farm.Output;
            await farm.DisposeAsync();
            throw new InvalidOperationException($"scripts/centralauth-farm.sh did not report the farm ready:\n{output}");
        }
        return farm;
    }

    /// <summary>The farm's folder: settings, databases, logs.</summary>
    public string Folder { get; private init; } = "";

    /// <summary>What the script printed, and the tail of each wiki's server output and debug logs.</summary>
    public string Output
    {
        get
        {
            var text = new StringBuilder();
            lock (_output) text.Append(_output);
            foreach (var file in Directory.Exists(Folder) ? Directory.GetFiles(Folder, "*.log") : [])
            {
                text.AppendLine($"--- {Path.GetFileName(file)} ---");
                foreach (var line in File.ReadLines(file).TakeLast(40)) text.AppendLine(line);
            }
            return text.ToString();
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Stops the script with TERM, so it stops its wikis and removes its folder, as Ctrl-C does.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_script.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _script.Id.ToString()])) await term.WaitForExitAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _script.WaitForExitAsync(grace.Token); }
            catch (OperationCanceledException) { _script.Kill(entireProcessTree: true); }
        }
        _script.Dispose();
    }
}
