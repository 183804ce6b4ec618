using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using WikiSessions.Testing;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>The app on a store of its own that the tests take away; a locked store gives up after two seconds, not thirty.</summary>
public sealed class OutageAppFactory : LoopbackAppFactory
{
    public string Store { get; } = Task.Run(() => SeededStore.CopyAsync("outage")).GetAwaiter().GetResult();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("ConnectionStrings:Sessions", $"Data Source={Store};Default Timeout=2")];

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SeededStore.Delete(Store);
    }
}

/// <summary>
/// The store made read-only, locked by another connection, or moved away, while wiki servers call the API over HTTP:
/// the answers are a 503 that names the cause or the truth, never a new empty session or one that had ended, and the
/// service comes back by itself when the store does.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class StoreOutageTests(OutageAppFactory app, ITestOutputHelper output) : IClassFixture<OutageAppFactory>
{
    [Theory]
    [InlineData("read-only")]
    [InlineData("locked")]
    [InlineData("moved")]
    public async Task A_store_outage_is_a_503_naming_the_cause_and_the_service_recovers_with_nothing_lost(string fault)
    {
        var enwiki = WikiTraffic.For(app.Address, "enwiki");
        var (_, alive, _) = await enwiki.LoginAsync("Sandbox Alice");
        var written = await enwiki.PutDataAsync(alive!.Id, 1, new JsonObject { ["fault"] = fault });
        Assert.Equal(HttpStatusCode.OK, written.Status);
        var acknowledged = (Version: written.Version, Data: new JsonObject { ["fault"] = fault }.ToJsonString());
        var ended = (await enwiki.LoginAsync("Sandbox Bob")).Session!;
        Assert.Equal(HttpStatusCode.OK, (await enwiki.LogoutAsync(ended)).Status);
        var loggedInDuringOutage = new List<LoggedIn>();

        // The pool's connections are closed first, so the next request opens the store as the fault leaves it, as a
        // pool does whenever it grows or replaces a connection.
        SqliteConnection.ClearAllPools();
        var restore = Apply(fault, app.Store);
        var unavailable = new List<string>();
        try
        {
            var clock = Stopwatch.StartNew();
            while (unavailable.Count < 3)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"No 503 after {clock.Elapsed} of {fault} store; answers were all successes");
                var resolvedAlive = await enwiki.ResolveAsync(alive);
                if (resolvedAlive.Status == HttpStatusCode.OK) Assert.Equal(alive.Id, resolvedAlive.SessionId);
                else unavailable.Add(Unavailable(resolvedAlive.Status, resolvedAlive.Body));

                var resolvedEnded = await enwiki.ResolveAsync(ended);
                if (resolvedEnded.Status == HttpStatusCode.OK) Assert.Null(resolvedEnded.SessionId);
                else unavailable.Add(Unavailable(resolvedEnded.Status, resolvedEnded.Body));

                var login = await enwiki.LoginAsync("Sandbox Carol");
                if (login.Status == HttpStatusCode.OK) loggedInDuringOutage.Add(login.Session!);
                else unavailable.Add(Unavailable(login.Status, login.Body));

                var data = new JsonObject { ["fault"] = fault, ["during"] = clock.ElapsedMilliseconds };
                var put = await enwiki.PutDataAsync(alive.Id, acknowledged.Version, data);
                if (put.Status == HttpStatusCode.OK) acknowledged = (put.Version, data.ToJsonString());
                else unavailable.Add(Unavailable(put.Status, put.Body));
            }
        }
        finally
        {
            restore();
        }
        output.WriteLine($"{fault}: {unavailable.Count} answers were 503; causes named: {string.Join(" | ", unavailable.Distinct())}");

        // Back by itself: no restart, no pool cleared by the test.
        var recovery = Stopwatch.StartNew();
        while ((await enwiki.LoginAsync("Sandbox Carol")).Status != HttpStatusCode.OK)
            Assert.True(recovery.Elapsed < TimeSpan.FromSeconds(60), $"The service did not recover within {recovery.Elapsed} after the {fault} store came back");
        output.WriteLine($"{fault}: logins succeed again {recovery.Elapsed.TotalMilliseconds:0} ms after the store came back");

        Assert.Equal(alive.Id, (await enwiki.ResolveAsync(alive)).SessionId);
        var after = await enwiki.GetDataAsync(alive.Id);
        Assert.Equal(acknowledged, (after.Version, after.Data!.ToJsonString()));
        Assert.Null((await enwiki.ResolveAsync(ended)).SessionId);
        foreach (var session in loggedInDuringOutage)
            Assert.Equal(session.Id, (await enwiki.ResolveAsync(session)).SessionId);
    }

    /// <summary>A 503 problem whose detail names what is wrong with the store; returns that detail.</summary>
    private static string Unavailable(HttpStatusCode status, System.Text.Json.JsonElement body)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("store", body.GetProperty("title").GetString(), StringComparison.OrdinalIgnoreCase);
        var detail = body.TryGetProperty("detail", out var d) ? d.GetString() : null;
        Assert.False(string.IsNullOrEmpty(detail), $"The 503 does not name the cause: {body}");
        return detail!;
    }

    /// <summary>Breaks the store; returns what puts it back.</summary>
    private static Action Apply(string fault, string store)
    {
        var files = new[] { store, store + "-wal", store + "-shm" }.Where(File.Exists).ToList();
        switch (fault)
        {
            case "read-only" when Environment.UserName == "root":
                // Permissions do not stop root; the immutable attribute does, even on files already open (like a read-only remount).
                Run("chattr", ["+i", .. files]);
                return () => Run("chattr", ["-i", .. files]);
            case "read-only" when !OperatingSystem.IsWindows():
                foreach (var file in files) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
                return () => files.ForEach(f => { if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead); });
            case "locked":
                var holder = new SqliteConnection($"Data Source={store};Pooling=False");
                holder.Open();
                using (var begin = holder.CreateCommand())
                {
                    begin.CommandText = "BEGIN EXCLUSIVE;";
                    begin.ExecuteNonQuery();
                }
                return () =>
                {
                    using (var rollback = holder.CreateCommand())
                    {
                        rollback.CommandText = "ROLLBACK;";
                        rollback.ExecuteNonQuery();
                    }
                    holder.Dispose();
                };
            case "moved":
                foreach (var file in files) File.Move(file, file + ".moved");
                return () => files.ForEach(f => File.Move(f + ".moved", f, overwrite: true));
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, null);
        }
    }

    private static void Run(string command, string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true, UseShellExecute = false })!;
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{command} {string.Join(' ', args)}: {process.StandardError.ReadToEnd()}");
    }
}
