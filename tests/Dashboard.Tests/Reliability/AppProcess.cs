using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>
/// The built app (WikiSessions.Dashboard.dll from this test's output folder) as a process of its own on a free loopback
/// port and a given store, with the demo farm off: it can be killed, restarted on the same store and measured from outside.
/// </summary>
public sealed class AppProcess : IAsyncDisposable
{
    /// <summary>One server key for every start, so a restarted app derives the same handles from the same store.</summary>
    private const string ServerKey = "5e55107a11ab1e5e55107a11ab1e5e55107a11ab1e5e55107a11ab1e5e551070";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AppProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Address { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the app wrote, for a failure message.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>Starts the app on <paramref name="databasePath"/>; <paramref name="settings"/> are extra configuration keys (empty: unset).</summary>
    public static AppProcess Start(string databasePath, IEnumerable<KeyValuePair<string, string>>? settings = null, params string[] args)
    {
        var port = FreePort();
        var folder = AppContext.BaseDirectory;
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(folder, "WikiSessions.Dashboard.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        if (args.Length == 0)
        {
            info.ArgumentList.Add("--urls");
            info.ArgumentList.Add($"http://127.0.0.1:{port}");
        }
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ConnectionStrings__Sessions"] = $"Data Source={databasePath}",
            ["DemoFarm__Enabled"] = "false",
            ["Sessions__ServerKey"] = ServerKey,
            ["Seed__Folder"] = WikiSessions.Testing.SeededStore.SeedFolder,
        };
        foreach (var (key, value) in settings ?? []) environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        foreach (var (key, value) in environment)
        {
            // An empty setting removes the variable, as a shell that never set it.
            if (value.Length == 0) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
        return new AppProcess(Process.Start(info)!, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>Waits, bounded, until the app answers <c>/health/ready</c> with 200; returns how long that took.</summary>
    public async Task<TimeSpan> WaitUntilReadyAsync(TimeSpan? limit = null)
    {
        var clock = Stopwatch.StartNew();
        var deadline = limit ?? TimeSpan.FromSeconds(90);
        using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"The app exited with {_process.ExitCode} before it served:\n{Output}");
            try
            {
                using var response = await http.GetAsync("/health/ready");
                if (response.StatusCode == HttpStatusCode.OK) return clock.Elapsed;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            if (clock.Elapsed > deadline) throw new TimeoutException($"The app did not serve within {deadline}:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits for the app to exit by itself (a command verb), bounded; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL, as the out-of-memory killer or a power cut would: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>The app's resident memory, as the operating system sees it.</summary>
    public long WorkingSet()
    {
        _process.Refresh();
        return _process.WorkingSet64;
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > 400) _output.TryDequeue(out _);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
