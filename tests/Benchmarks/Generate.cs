using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WikiSessions.Core;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;
using WikiSessions.Testing;

namespace WikiSessions.Benchmarks;

/// <summary>
/// Builds a farm-sized store: a copy of the migrated and seeded farm plus N sessions written with raw prepared
/// statements in one transaction. Half are open, half ended; wikis get sessions in proportion to their weight in
/// seed-data/wikis.tsv (enwiki about a fifth, the ten biggest about 60%); half the sessions are anonymous; logged-in
/// users are Zipf-skewed, so a few bots hold thousands. Two named users carry the heavy cases of the admin harness.
/// </summary>
/// <remarks>
/// Open sessions expire 1 to 30 days after generation, so a store stays usable by the harness for a day.
/// The Sessions indexes and triggers are dropped during the load and recreated after (sorting once is far
/// cheaper than two million random B-tree inserts), and the per-wiki counters are recounted with one statement.
/// Run: <c>dotnet run -c Release --project tests/Benchmarks -- generate --sessions 2000000 --out /tmp/farm2m.db</c>
/// </remarks>
internal static class Generate
{
    /// <summary>Has 1,000 open sessions, two on each of 500 wikis: the invalidate-user case.</summary>
    public const string HeavyUser = "Sandbox Alice";
    public const int HeavyUserWikis = 500;
    /// <summary>One browser with a central session and a session on each of 200 wikis: the global-logout case.</summary>
    public const string HeavyBrowserUser = "Sandbox Bob";
    public const int HeavyBrowserWikis = 200;

    /// <summary>The heavy browser's session ID on its n-th wiki, and its central session ID: known, so the harness can send the cookies.</summary>
    public static string HeavyBrowserSessionId(int n) => $"b{n:x31}";
    public const string HeavyBrowserCentralId = "c0000000000000000000000000000001";

    public static async Task RunAsync(string[] args)
    {
        var sessions = int.Parse(Option(args, "--sessions") ?? "2000000");
        var output = Option(args, "--out") ?? Path.Combine(Path.GetTempPath(), $"farm{sessions}.db");
        var clock = Stopwatch.StartNew();
        await CreateAsync(output, sessions, DateTimeOffset.UtcNow);
        Console.WriteLine($"Generated {sessions:N0} sessions into {output} in {clock.Elapsed.TotalSeconds:N1} s");
    }

    public static string? Option(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

    /// <summary>
    /// Runs <paramref name="run"/> on a copy of <c>--store FILE</c>, or on a store of <c>--sessions N</c> (20,000 by default)
    /// generated for it, and deletes that file after: a harness never changes the store it was given.
    /// </summary>
    public static async Task OnStoreCopyAsync(string[] args, string purpose, Func<string, Task> run)
    {
        var path = Path.Combine(Path.GetTempPath(), $"wikisessions-{purpose}-{Guid.NewGuid():N}.db");
        if (Option(args, "--store") is { } store)
        {
            File.Copy(store, path);
        }
        else
        {
            var count = int.Parse(Option(args, "--sessions") ?? "20000");
            Console.WriteLine($"No --store: generating {count:N0} sessions");
            await CreateAsync(path, count, DateTimeOffset.UtcNow);
        }
        try
        {
            await run(path);
        }
        finally
        {
            SeededStore.Delete(path);
        }
    }

    /// <summary>The Core services on the store at <paramref name="path"/>; <c>WIKISESSIONS_SQL=1</c> prints every statement with its time.</summary>
    public static ServiceProvider CoreServices(string path)
    {
        var configuration = SeededStore.Configuration(path);
        return new ServiceCollection()
            .AddLogging(b => { if (Environment.GetEnvironmentVariable("WIKISESSIONS_SQL") == "1") b.AddProvider(new SqlPrinter()); })
            .AddSingleton(configuration).AddCore(configuration, Path.GetTempPath()).BuildServiceProvider();
    }

    public static async Task CreateAsync(string output, int count, DateTimeOffset now)
    {
        var copy = await SeededStore.CopyAsync("generate");
        SeededStore.Delete(output);
        File.Move(copy, output);

        await using var connection = new SqliteConnection($"Data Source={output}");
        await connection.OpenAsync();
        Exec(connection, "PRAGMA synchronous=OFF; PRAGMA cache_size=-1000000; PRAGMA temp_store=MEMORY;");
        var wikis = Rows(connection, "SELECT Id, Weight, Status, IsCentral FROM Wikis ORDER BY Id", r => (Id: r.GetInt32(0), Weight: r.GetInt32(1), Status: r.GetString(2), Central: r.GetBoolean(3)));
        var users = Rows(connection, "SELECT Id, Name, Token FROM Users ORDER BY Id", r => (Id: r.GetInt32(0), Name: r.GetString(1), Token: r.GetString(2)));
        var bots = Rows(connection, "SELECT Id, UserId FROM BotPasswords ORDER BY Id", r => (Id: r.GetInt32(0), User: r.GetInt32(1)));
        var grants = Rows(connection, "SELECT Id, UserId FROM OAuthGrants ORDER BY Id", r => (Id: r.GetInt32(0), User: r.GetInt32(1)));
        var epoch = Rows(connection, "SELECT Epoch FROM Farm", r => r.GetInt64(0))[0];
        var tokens = users.ToDictionary(u => u.Id, u => u.Token);
        var heavy = users.Single(u => u.Name == HeavyUser).Id;
        var browserUser = users.Single(u => u.Name == HeavyBrowserUser).Id;

        // Sessions land on open and private wikis by weight; the central wiki holds central sessions, not local ones.
        var live = wikis.Where(w => w.Status != "Closed" && !w.Central && w.Weight > 0).ToList();
        var wikiPick = new Picker(live.Select(w => (double)w.Weight).ToArray());
        // Logged-in sessions by user: Zipf with exponent 0.8 over the users, the two heavy ones left out.
        var others = users.Where(u => u.Id != heavy && u.Id != browserUser).ToList();
        var userPick = new Picker(others.Select((_, i) => 1 / Math.Pow(i + 1, 0.8)).ToArray());
        var botsOf = bots.ToLookup(b => b.User, b => b.Id);
        var grantsOf = grants.ToLookup(g => g.User, g => g.Id);

        // Indexes and triggers out of the way during the load, recreated from their own SQL after it.
        var schema = Rows(connection, "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'Sessions' AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            r => (Type: r.GetString(0), Name: r.GetString(1), Sql: r.GetString(2)));
        foreach (var (type, name, _) in schema) Exec(connection, $"DROP {type.ToUpperInvariant()} \"{name}\";");

        await using (var tx = connection.BeginTransaction())
        {
            var insert = Prepare(connection, tx, """
                INSERT INTO Sessions (IdHash, Handle, WikiId, UserId, Provider, Origin, CentralSessionId, BotPasswordId, OAuthGrantId,
                    CreatedAt, LastActivityAt, ExpiresAt, Remember, Ip, IpKey, UserAgent, Metadata, Data, DataVersion, UserToken, Epoch,
                    CookiesSet, EndedAt, EndReason, EndedBy)
                VALUES ($hash, $handle, $wiki, $user, $provider, $origin, $central, $bot, $grant,
                    $created, $last, $expires, $remember, $ip, $ipkey, $agent, '{}', '{}', 1, $token, $epoch, $cookies, $ended, $reason, NULL)
                """, "$hash", "$handle", "$wiki", "$user", "$provider", "$origin", "$central", "$bot", "$grant", "$created", "$last", "$expires",
                "$remember", "$ip", "$ipkey", "$agent", "$token", "$epoch", "$cookies", "$ended", "$reason");
            var central = Prepare(connection, tx, """
                INSERT INTO CentralSessions (Id, IdHash, Handle, UserId, CreatedAt, LastActivityAt, ExpiresAt, Remember, Ip, UserAgent, UserToken, Epoch, EndedAt, EndReason, Version)
                VALUES ($id, $hash, $handle, $user, $created, $created, $expires, 0, $ip, $agent, $token, $epoch, NULL, NULL, 1)
                """, "$id", "$hash", "$handle", "$user", "$created", "$expires", "$ip", "$agent", "$token", "$epoch");
            insert.Parameters["$epoch"].Value = epoch;
            central.Parameters["$epoch"].Value = epoch;

            var random = new Random(2026);
            var nextCentral = 1_000_000L;
            var browserOf = new Dictionary<int, long>();
            string[] agents = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1", "Pywikibot/9.5 (requests 2.32)", "WikipediaApp/7.7 (Android 15)"];
            string[] endReasons = ["LoggedOut", "Idle", "Idle", "Idle", "LoggedOutElsewhere", "Revoked", "UserInvalidated"];

            long Central(int userId, long created, string ip, string agent)
            {
                var id = nextCentral++;
                central.Parameters["$id"].Value = id;
                central.Parameters["$hash"].Value = $"c{id:x63}";
                central.Parameters["$handle"].Value = $"c{id:x15}";
                central.Parameters["$user"].Value = userId;
                central.Parameters["$created"].Value = created;
                central.Parameters["$expires"].Value = now.AddDays(30).UtcTicks;
                central.Parameters["$ip"].Value = ip;
                central.Parameters["$agent"].Value = agent;
                central.Parameters["$token"].Value = tokens[userId];
                central.ExecuteNonQuery();
                return id;
            }

            void Session(long n, string hash, int wiki, int? user, string provider, string origin, long? centralId, int? bot, int? grant, bool open, string ip, string agent)
            {
                // Ended sessions ended within the retention period (7 days), as a farm in steady state holds them: the
                // sweeper deletes older ones, and a backlog of a million would keep it busy for the first ten minutes.
                var created = now.AddMinutes(-random.Next(1, 60 * 24 * (open ? 20 : 6))).UtcTicks;
                var last = open ? now.AddSeconds(-random.Next(1, 3600)).UtcTicks : created + TimeSpan.TicksPerMinute * random.Next(1, 600);
                var p = insert.Parameters;
                p["$hash"].Value = hash;
                p["$handle"].Value = $"g{n:x15}";
                p["$wiki"].Value = wiki;
                p["$user"].Value = (object?)user ?? DBNull.Value;
                p["$provider"].Value = provider;
                p["$origin"].Value = origin;
                p["$central"].Value = (object?)centralId ?? DBNull.Value;
                p["$bot"].Value = (object?)bot ?? DBNull.Value;
                p["$grant"].Value = (object?)grant ?? DBNull.Value;
                p["$created"].Value = created;
                p["$last"].Value = last;
                p["$expires"].Value = open ? now.AddDays(1 + random.Next(30)).UtcTicks : last + TimeSpan.TicksPerMinute * 30;
                p["$remember"].Value = open && random.Next(4) == 0;
                p["$ip"].Value = ip;
                p["$ipkey"].Value = IpKeys.Key(ip);
                p["$agent"].Value = agent;
                p["$token"].Value = user is { } u ? tokens[u] : DBNull.Value;
                p["$cookies"].Value = provider == "Cookie" ? "session,UserID,UserName" : "";
                p["$ended"].Value = open ? DBNull.Value : last + TimeSpan.TicksPerMinute * 30;
                p["$reason"].Value = open ? DBNull.Value : endReasons[random.Next(endReasons.Length)];
                insert.ExecuteNonQuery();
            }

            string Ip() => random.Next(5) == 0
                ? $"2001:db8:{random.Next(0x10000):x}:{random.Next(0x10000):x}::{random.Next(0x10000):x}"
                : $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";

            // The heavy cases first, so their sessions are among the oldest rows, as a long-lived bot's would be.
            for (var i = 0; i < 2 * HeavyUserWikis; i++)
                Session(count + i, $"h{i:x63}", live[i / 2 % live.Count].Id, heavy, "Cookie", "Login", null, null, null, true, "198.51.100.20", agents[0]);
            var browserCentral = Central(browserUser, now.AddHours(-2).UtcTicks, "198.51.100.21", agents[1]);
            Exec(connection, $"UPDATE CentralSessions SET IdHash = '{Secrets.Sha256(HeavyBrowserCentralId)}' WHERE Id = {browserCentral}", tx);
            for (var i = 0; i < HeavyBrowserWikis; i++)
                Session(count + 2 * HeavyUserWikis + i, Secrets.Sha256(HeavyBrowserSessionId(i)), live[i].Id, browserUser, "Cookie", i == 0 ? "Login" : "AutoLogin",
                    browserCentral, null, null, true, "198.51.100.21", agents[1]);

            for (long n = 0; n < count; n++)
            {
                var open = n % 2 == 0;
                var wiki = live[wikiPick.Next(random)].Id;
                var ip = Ip();
                var agent = agents[random.Next(agents.Length)];
                if (random.Next(2) == 0)
                {
                    Session(n, $"{n:x64}", wiki, null, "Cookie", "Login", null, null, null, open, ip, agent);
                    continue;
                }
                var user = others[userPick.Next(random)].Id;
                var kind = random.Next(20);
                if (kind == 0 && botsOf[user].FirstOrDefault() is var bot and > 0)
                    Session(n, $"{n:x64}", wiki, user, "BotPassword", "Login", null, bot, null, open, ip, agents[3]);
                else if (kind == 1 && grantsOf[user].FirstOrDefault() is var grant and > 0)
                    Session(n, $"{n:x64}", wiki, user, "OAuth", "OAuthRequest", null, null, grant, open, ip, agent);
                else
                {
                    // A browser logs in on one wiki (a new central session) and is auto-logged in on about three more.
                    long? centralId = null;
                    if (open && (!browserOf.TryGetValue(user, out var existing) || random.Next(4) == 0))
                        browserOf[user] = existing = Central(user, now.AddHours(-random.Next(1, 48)).UtcTicks, ip, agent);
                    if (open) centralId = browserOf[user];
                    Session(n, $"{n:x64}", wiki, user, "Cookie", centralId is null ? "Login" : "AutoLogin", centralId, null, null, open, ip, agent);
                }
            }
            await tx.CommitAsync();
        }

        var clock = Stopwatch.StartNew();
        foreach (var (_, _, sql) in schema.OrderBy(s => s.Type)) Exec(connection, sql);
        Exec(connection, SessionCounters.Recount);
        // No ANALYZE: the product does not run it, so the harness plans as a real store does, with the migration's hint
        // (dropping the epoch index dropped its row).
        Exec(connection, SqlitePlanner.Hints);
        Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE);");
        Console.WriteLine($"  indexes and counters rebuilt in {clock.Elapsed.TotalSeconds:N1} s");
    }

    private static void Exec(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.CommandTimeout = 0;
        command.ExecuteNonQuery();
    }

    private static List<T> Rows<T>(SqliteConnection connection, string sql, Func<SqliteDataReader, T> read)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqliteTransaction tx, string sql, params string[] names)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var name in names) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
    }

    /// <summary>Picks an index with probability proportional to its weight, by binary search over the running sums.</summary>
    private sealed class Picker(double[] weights)
    {
        private readonly double[] _sums = weights.Select((_, i) => weights[..(i + 1)].Sum()).ToArray();

        public int Next(Random random)
        {
            var i = Array.BinarySearch(_sums, random.NextDouble() * _sums[^1]);
            return Math.Min(i < 0 ? ~i : i, _sums.Length - 1);
        }
    }
}
