using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using WikiSessions.Testing;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>
/// The app killed with SIGKILL in the middle of a burst of logins, data writes and logouts, then started again on the
/// same store: whatever a wiki server was told had happened, has happened.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class CrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly string[] Wikis = ["enwiki", "dewiki", "frwiki", "commonswiki"];
    private static readonly string[] Users = ["Sandbox Alice", "Sandbox Bob", "Sandbox Carol"];
    private const int Workers = 6;
    private const int AcknowledgedBeforeKill = 150;

    private string _store = "";

    public async Task InitializeAsync() => _store = await SeededStore.CopyAsync("crash");

    [Fact]
    public async Task Every_acknowledged_login_write_and_logout_survives_a_kill_mid_burst()
    {
        var ledger = new ConcurrentBag<Tracked>();
        for (var round = 1; round <= 2; round++)
        {
            await using var app = AppProcess.Start(_store);
            var ready = await app.WaitUntilReadyAsync();
            output.WriteLine($"Round {round}: served {ready.TotalSeconds:0.00} s after start");
            await VerifyAsync(app.Address, ledger);

            var acknowledged = 0;
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => BurstAsync(app.Address, w, ledger, () => Interlocked.Increment(ref acknowledged), stop.Token))).ToList();
            while (Volatile.Read(ref acknowledged) < AcknowledgedBeforeKill)
            {
                Assert.False(workers.Any(t => t.IsFaulted), "A worker failed before the kill: " + workers.FirstOrDefault(t => t.IsFaulted)?.Exception);
                await Task.Delay(20);
            }
            app.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
            output.WriteLine($"Round {round}: killed after {Volatile.Read(ref acknowledged)} acknowledged operations; {ledger.Count} sessions in the ledger");
        }

        await using (var last = AppProcess.Start(_store))
        {
            var ready = await last.WaitUntilReadyAsync();
            output.WriteLine($"After the last kill: first 200 from /health/ready {ready.TotalSeconds:0.00} s after start");
            var checkedSessions = await VerifyAsync(last.Address, ledger);
            output.WriteLine($"Checked {checkedSessions} sessions: {ledger.Count(t => t.LogoutAcknowledged)} ended as acknowledged, " +
                $"{ledger.Sum(t => t.WritesAcknowledged)} acknowledged data writes present");
            Assert.Equal("ok", await IntegrityAsync());
        }
    }

    [Fact]
    public async Task Every_acknowledged_store_write_survives_a_kill_while_queued_writes_commit_together()
    {
        var acknowledged = new ConcurrentDictionary<string, string>();
        await using (var app = AppProcess.Start(_store))
        {
            await app.WaitUntilReadyAsync();
            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, 16).Select(w => Task.Run(() => StoreBurstAsync(app, w, acknowledged, stop.Token))).ToList();
            while (acknowledged.Count < 400)
            {
                Assert.False(workers.Any(t => t.IsFaulted), "A worker failed before the kill: " + workers.FirstOrDefault(t => t.IsFaulted)?.Exception);
                await Task.Delay(20);
            }
            // The writes did share commits, so the kill lands among batches.
            using var metrics = app.Client();
            var text = await metrics.GetStringAsync("/metrics");
            double Counter(string name) => double.Parse(System.Text.RegularExpressions.Regex.Match(text, $@"^{name}(?:\{{[^}}]*\}})?\s+([\d.e+-]+)",
                System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var (transactions, commits) = (Counter("wikisessions_store_write_transactions_total"), Counter("wikisessions_store_write_commits_total"));
            output.WriteLine($"Before the kill: {transactions} write transactions in {commits} commits");
            Assert.True(commits < transactions, $"{transactions} write transactions took {commits} commits: none were committed together.");
            app.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(workers);
        }

        await using var again = AppProcess.Start(_store);
        await again.WaitUntilReadyAsync();
        using var enwiki = again.Client(LoopbackAppFactory.WikiKey("enwiki"));
        foreach (var (key, body) in acknowledged)
        {
            using var response = await enwiki.GetAsync("/sessions/v1/" + Uri.EscapeDataString(key));
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"The acknowledged write of {key} answers {(int)response.StatusCode} after the kill.");
            Assert.Equal(body, await response.Content.ReadAsStringAsync());
        }
        output.WriteLine($"{acknowledged.Count} acknowledged store writes read back after the kill");
        Assert.Equal("ok", await IntegrityAsync());
    }

    /// <summary>MediaWiki saving new sessions on enwiki, each under a key never written before, until the app dies.</summary>
    private static async Task StoreBurstAsync(AppProcess app, int worker, ConcurrentDictionary<string, string> acknowledged, CancellationToken cancellationToken)
    {
        using var http = app.Client(LoopbackAppFactory.WikiKey("enwiki"));
        var expires = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds();
        for (var n = 0; !cancellationToken.IsCancellationRequested; n++)
        {
            var key = $"enwiki:MWSession:crash{worker:x4}{n:x24}";
            var body = "JSON..{\"data\":{\"wsToken\":\"" + Guid.NewGuid().ToString("N") + "\"},\"metadata\":{\"provider\":\"MediaWiki\\\\Session\\\\CookieSessionProvider\"," +
                       "\"userId\":" + (100 + worker) + ",\"userName\":\"Crash User " + worker + "\",\"userToken\":\"0123456789abcdef0123456789abcdef\",\"remember\":false," +
                       "\"forceHTTPS\":false,\"expires\":" + expires + ",\"loggedOut\":0,\"persisted\":true}}";
            try
            {
                using var response = await http.PostAsync("/sessions/v1/" + Uri.EscapeDataString(key), new StringContent(body), cancellationToken);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"A store write answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                acknowledged[key] = body;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                return; // the app was killed: the write in flight was never acknowledged
            }
        }
    }

    /// <summary>Logins, three data writes each, and a logout of every other session, until the app dies.</summary>
    private static async Task BurstAsync(Uri address, int worker, ConcurrentBag<Tracked> ledger, Action acknowledged, CancellationToken cancellationToken)
    {
        var traffic = WikiTraffic.For(address, Wikis[worker % Wikis.Length]);
        for (var n = 0; !cancellationToken.IsCancellationRequested; n++)
        {
            try
            {
                var (status, session, body) = await traffic.LoginAsync(Users[worker % Users.Length], cancellationToken);
                if (status != HttpStatusCode.OK) throw new InvalidOperationException($"Login answered {(int)status}: {body}");
                var tracked = new Tracked(traffic.Wiki, session!);
                ledger.Add(tracked);
                acknowledged();
                for (var write = 1; write <= 3; write++)
                {
                    var data = new JsonObject { ["worker"] = worker, ["login"] = n, ["write"] = write };
                    tracked.Pending = (tracked.Version + 1, data.ToJsonString());
                    var put = await traffic.PutDataAsync(session!.Id, tracked.Version, data, cancellationToken);
                    if (put.Status != HttpStatusCode.OK) throw new InvalidOperationException($"A write answered {(int)put.Status}: {put.Body}");
                    (tracked.Version, tracked.Data, tracked.Pending) = (put.Version, data.ToJsonString(), null);
                    tracked.WritesAcknowledged++;
                    acknowledged();
                }
                if (n % 2 == 1)
                {
                    tracked.LogoutSent = true;
                    var logout = await traffic.LogoutAsync(session!, cancellationToken);
                    if (logout.Status != HttpStatusCode.OK) throw new InvalidOperationException($"A logout answered {(int)logout.Status}: {logout.Body}");
                    tracked.LogoutAcknowledged = true;
                    acknowledged();
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
            {
                return; // the app was killed: what was in flight is in the ledger as sent, not acknowledged
            }
        }
    }

    /// <summary>Each session of the ledger is as the wiki server was last told: ended, or alive with its last acknowledged data.</summary>
    private static async Task<int> VerifyAsync(Uri address, IEnumerable<Tracked> ledger)
    {
        var clients = Wikis.ToDictionary(w => w, w => WikiTraffic.For(address, w));
        var count = 0;
        foreach (var tracked in ledger)
        {
            var traffic = clients[tracked.Wiki];
            var resolved = await traffic.ResolveAsync(tracked.Session);
            var data = await traffic.GetDataAsync(tracked.Session.Id);
            Assert.Equal(HttpStatusCode.OK, resolved.Status);
            if (tracked.LogoutAcknowledged)
            {
                Assert.Null(resolved.SessionId);
                Assert.Equal(HttpStatusCode.NotFound, data.Status);
            }
            else if (tracked.LogoutSent && resolved.SessionId is null)
            {
                // The logout in flight at the kill was committed; from now on it counts as done.
                Assert.Equal(HttpStatusCode.NotFound, data.Status);
                tracked.LogoutAcknowledged = true;
            }
            else
            {
                Assert.Equal(tracked.Session.Id, resolved.SessionId);
                Assert.Equal(HttpStatusCode.OK, data.Status);
                var found = (data.Version, data.Data!.ToJsonString());
                var acknowledged = (tracked.Version, tracked.Data);
                Assert.True(found == acknowledged || found == tracked.Pending,
                    $"Session data {found} is neither the acknowledged {acknowledged} nor the write in flight at the kill {tracked.Pending}");
                // What is there now is what the next round's writes build on.
                (tracked.Version, tracked.Data, tracked.Pending) = (data.Version, data.Data!.ToJsonString(), null);
            }
            count++;
        }
        return count;
    }

    private async Task<string> IntegrityAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={_store};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    public Task DisposeAsync()
    {
        SeededStore.Delete(_store);
        return Task.CompletedTask;
    }

    private sealed class Tracked(string wiki, LoggedIn session)
    {
        public string Wiki { get; } = wiki;
        public LoggedIn Session { get; } = session;
        public int Version { get; set; } = 1;
        public string Data { get; set; } = "{}";
        public (int Version, string Data)? Pending { get; set; }
        public int WritesAcknowledged { get; set; }
        public bool LogoutSent { get; set; }
        public bool LogoutAcknowledged { get; set; }
    }
}
