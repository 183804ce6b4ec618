using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace WikiSessions.Benchmarks;

/// <summary>
/// The app in Release over HTTP, driven by wrk (Debian's package) with N requests in flight, every target side by side
/// in one run: the app's own bare endpoint (the limit of this machine and this app), resolves, MediaWiki store reads,
/// the store's 100:1 read/write mix, and logins; with the store's statements per 1,000 resolves (the app's own
/// counters, from /metrics) and the app's resident memory.
/// </summary>
internal static partial class Http
{
    private sealed record Target(string Name, string Path, string? Script);
    /// <param name="Errors">Answers not 2xx or 3xx, and requests wrk gave up on (<paramref name="Timeouts"/>: no answer within its 2 s).</param>
    private sealed record Figures(double Rps, double P50, double P99, double P999, long Requests, long Errors, long Timeouts = 0);
    private sealed record StoreFigures(long Reads, long Writes, long Transactions, double TransactionSeconds, long Commits);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Option(args, "--seconds", 10);
        var connections = Option(args, "--connections", 64);
        var sessions = Option(args, "--sessions", 1_000);
        var dashboards = Option(args, "--dashboards", 0);
        var store = args.SkipWhile(a => a != "--store").Skip(1).FirstOrDefault();
        // sqlite (one instance on its file), postgresql (one instance), nginx (two instances on PostgreSQL and Redis behind nginx).
        var topology = args.SkipWhile(a => a != "--topology").Skip(1).FirstOrDefault() ?? "sqlite";
        if (topology is not ("sqlite" or "postgresql" or "nginx") || store is not null && topology != "sqlite")
        {
            Console.Error.WriteLine($"--topology is one of sqlite, postgresql, nginx (got '{topology}'); --store goes with sqlite only.");
            return 2;
        }
        // --only login,resolve: the bare endpoint and the targets whose names contain these words.
        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
        if (!File.Exists("/usr/bin/wrk"))
        {
            Console.Error.WriteLine("wrk is missing: sudo apt-get install -y wrk");
            return 1;
        }

        // The repository: seed-data's parent, found as the tests find it.
        var root = Path.GetFullPath(Path.Combine(WikiSessions.Testing.SeededStore.SeedFolder, ".."));
        var work = Directory.CreateTempSubdirectory("wikisessions-http-").FullName;
        try
        {
            Run("dotnet", $"build -c Release \"{Path.Combine(root, "src", "Dashboard")}\" -v q", root);
            var database = Path.Combine(work, "bench.db");
            if (store is not null) File.Copy(store, database);
            await using var app = await Topology.StartAsync(topology, root, database, work);
            Console.WriteLine($"WikiSessions over HTTP, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, wrk -t2 -c{connections} -d{seconds}s, " +
                              $"{sessions:N0} sessions resolved in rotation, {dashboards} dashboards, {app.Describe}, store: {(store is null ? "freshly seeded" : store)}");

            var credentials = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "seed-data", "demo-credentials.json"))).RootElement.GetProperty("wikiKeys");
            string enwiki = credentials.GetProperty("enwiki").GetString()!, testwiki = credentials.GetProperty("testwiki").GetString()!;
            var users = File.ReadLines(Path.Combine(root, "seed-data", "users.tsv")).Skip(4).Select(l => l.Split('\t')[0]).Take(2_000).ToList();
            var resolveBodies = await LoginAsync(app.Client, enwiki, users, sessions);
            var storeKeys = await WriteStoreAsync(app.Client, testwiki, sessions);
            // Staff dashboards on the live feed during every run: their memory counts in the app's figure.
            await using var clients = dashboards > 0 ? await DashboardClients.ConnectAsync(app.Address, dashboards) : null;

            var targets = new List<Target>
            {
                new("GET /health/live (bare)", "/health/live", Tail(work)),
                new($"POST resolve ({sessions:N0} active sessions)", "/api/v1/wikis/enwiki/resolve", Script(work, "resolve", "POST", enwiki, resolveBodies.Select(b => ("/api/v1/wikis/enwiki/resolve", (string?)b)))),
                new("GET MediaWiki store value", "/", Script(work, "store", "GET", testwiki, storeKeys.Select(k => ($"/sessions/v1/{k.Key}", (string?)null)))),
                new("MediaWiki store 100:1 GET/POST", "/", MixScript(work, testwiki, storeKeys)),
                new("POST MediaWiki store, new 1.7 KB session", "/", NewSessionsScript(work, testwiki, expires: DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds())),
                new("POST login (local + central + event)", "/api/v1/wikis/enwiki/login", Script(work, "login", "POST", enwiki,
                    users.Select(u => ("/api/v1/wikis/enwiki/login", (string?)JsonSerializer.Serialize(new { user = u, provider = "cookie", client = Client }))))),
            };

            if (only is not null) targets.RemoveAll(t => t != targets[0] && !only.Any(o => t.Name.Contains(o, StringComparison.OrdinalIgnoreCase)));
            Console.WriteLine($"  {"target",-40} {"requests/s",11} {"x bare",7} {"p50",9} {"p99",9} {"p99.9",9} {"non-2xx",8}");
            double? bare = null;
            var notes = new List<string>();
            foreach (var target in targets)
            {
                // Two seconds unrecorded first, as for any target: the JIT's later tiers and each session's first read are
                // start-up costs, not the steady state the figures are of.
                Wrk(app.Address, target, connections, 2, work);
                var before = await app.StoreCountersAsync();
                var figures = await app.SampleWhileAsync(() => Wrk(app.Address, target, connections, seconds, work));
                var after = await app.StoreCountersAsync();
                bare ??= figures.Rps;
                Console.WriteLine($"  {target.Name,-40} {figures.Rps,11:N0} {figures.Rps / bare.Value,7:0.00} {figures.P50,7:0.00}ms {figures.P99,7:0.00}ms {figures.P999,7:0.00}ms {figures.Errors,8:N0}{(figures.Timeouts > 0 ? $" ({figures.Timeouts:N0} of them no answer within 2 s)" : "")}");
                var (reads, writes, requests) = (after.Reads - before.Reads, after.Writes - before.Writes, Math.Max(1, figures.Requests));
                var (transactions, held, commits) = (after.Transactions - before.Transactions, after.TransactionSeconds - before.TransactionSeconds, after.Commits - before.Commits);
                if (target.Name.StartsWith("POST resolve"))
                    notes.Add($"store statements per 1,000 resolves: {1000.0 * writes / requests:0.0} writes, {1000.0 * reads / requests:0.0} reads " +
                              $"({writes:N0} writes and {reads:N0} reads over {figures.Requests:N0} resolves)");
                // SQLite's one writer only: PostgreSQL's writers run side by side.
                if (topology == "sqlite" && (target.Name.StartsWith("POST login") || target.Name.StartsWith("POST MediaWiki")) && transactions > 0)
                    notes.Add($"{target.Name}: {transactions:N0} write transactions held the store's one writer {100 * held / seconds:0}% of the run, " +
                              $"{held * 1e6 / transactions:N0} µs each, in {commits:N0} commits ({transactions / (double)Math.Max(1, commits):0.0} a commit)");
            }
            if (only is null || only.Any(o => o.Contains("wikimedia", StringComparison.OrdinalIgnoreCase)))
                await WikimediaMixAsync(app, testwiki, seconds, work);
            notes.ForEach(n => Console.WriteLine($"  {n}"));
            if (args.Contains("--app-log")) app.PrintLastLines();
            if (clients is not null) Console.WriteLine($"  {dashboards} staff dashboards connected throughout: {clients.Summary()}");
            Console.WriteLine($"  app resident memory{(app.Instances > 1 ? $", {app.Instances} instances summed" : "")}: {app.RssAtStart / 1e6:N0} MB after start-up, " +
                              $"peak during the runs {app.PeakRss / 1e6:N0} MB (VmHWM {app.HighWaterMark() / 1e6:N0} MB)");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static readonly object Client = new { ip = "203.0.113.7", userAgent = "wrk", secure = true };

    /// <summary>Logs in <paramref name="count"/> sessions on enwiki through the API; returns the resolve body of each.</summary>
    private static async Task<List<string>> LoginAsync(HttpClient http, string key, IReadOnlyList<string> users, int count)
    {
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/wikis/enwiki/login")
            {
                Content = JsonContent.Create(new { user = users[i % users.Count], provider = "cookie", client = Client }),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            var login = await response.Content.ReadFromJsonAsync<JsonElement>();
            var cookies = login.GetProperty("setCookies").EnumerateArray()
                .Where(c => c.GetProperty("host").GetString() == "en.wikipedia.org" && c.GetProperty("value").GetString() is { Length: > 0 })
                .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!);
            bodies.Add(JsonSerializer.Serialize(new { cookies, client = Client }));
        }
        return bodies;
    }

    /// <summary>Writes <paramref name="count"/> logged-in MWSession values on testwiki, as MediaWiki 1.39 does.</summary>
    private static async Task<List<(string Key, string Body)>> WriteStoreAsync(HttpClient http, string key, int count)
    {
        var expires = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds();
        var values = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var storeKey = $"testwiki%3AMWSession%3Abench{i:x27}";
            var body = "JSON..{\"data\":{\"wsToken\":\"x\"},\"metadata\":{\"provider\":\"MediaWiki\\\\Session\\\\CookieSessionProvider\",\"userId\":" + (3 + i % 500) +
                       ",\"userName\":\"Bench User " + (i % 500) + "\",\"userToken\":\"0123456789abcdef0123456789abcdef\",\"remember\":false,\"forceHTTPS\":false,\"expires\":" +
                       expires + ",\"loggedOut\":0,\"persisted\":true}}";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/sessions/v1/{storeKey}") { Content = new StringContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            values.Add((storeKey, body));
        }
        return values;
    }

    /// <summary>A wrk script that sends the given requests in rotation, each connection starting at its own place.</summary>
    private static string Script(string folder, string name, string method, string key, IEnumerable<(string Path, string? Body)> requests)
    {
        var lua = new StringBuilder();
        lua.AppendLine($"local method, key = \"{method}\", \"{key}\"");
        lua.AppendLine("local requests = {");
        foreach (var (path, body) in requests) lua.AppendLine($"  {{ {Lua(path)}, {(body is null ? "nil" : Lua(body))} }},");
        lua.AppendLine("""
            }
            local i = 0
            function init(args) i = math.random(#requests) end
            function request()
              i = i % #requests + 1
              local r = requests[i]
              local headers = { ["Authorization"] = "Bearer " .. key }
              if r[2] then headers["Content-Type"] = "application/json" end
              return wrk.format(method, r[1], headers, r[2])
            end
            """ + TailFunction);
        var file = Path.Combine(folder, name + ".lua");
        File.WriteAllText(file, lua.ToString());
        return file;
    }

    /// <summary>Kask's published mix: a hundred reads to a write, each write putting a value back as MediaWiki does.</summary>
    private static string MixScript(string folder, string key, IReadOnlyList<(string Key, string Body)> values)
    {
        var lua = new StringBuilder();
        lua.AppendLine($"local key = \"{key}\"");
        lua.AppendLine("local values = {");
        foreach (var (storeKey, body) in values) lua.AppendLine($"  {{ {Lua("/sessions/v1/" + storeKey)}, {Lua(body)} }},");
        lua.AppendLine("""
            }
            local i, n = 0, 0
            function init(args) i = math.random(#values) end
            function request()
              i = i % #values + 1
              n = n + 1
              local v = values[i]
              local headers = { ["Authorization"] = "Bearer " .. key }
              if n % 101 == 0 then return wrk.format("POST", v[1], headers, v[2]) end
              return wrk.format("GET", v[1], headers, nil)
            end
            """ + TailFunction);
        var file = Path.Combine(folder, "mix.lua");
        File.WriteAllText(file, lua.ToString());
        return file;
    }

    /// <summary>wrk's --latency stops at p99: each script also prints p99.9 (in µs) when the run is done.</summary>
    private const string TailFunction = """

        function done(summary, latency, requests)
          io.write(string.format("p99.9 %d\n", latency:percentile(99.9)))
        end
        """;

    private static string Tail(string folder)
    {
        var file = Path.Combine(folder, "bare.lua");
        File.WriteAllText(file, TailFunction);
        return file;
    }

    /// <summary>
    /// MediaWiki saving new sessions: each POST a key never written before, a logged-in user's 1.7 KB value as MediaWiki
    /// 1.39 serializes it (tokens, the edit token, the user's options in the session data).
    /// </summary>
    private static string NewSessionsScript(string folder, string key, long expires)
    {
        var data = "{\"wsToken\":\"" + new string('a', 32) + "\",\"wsEditToken\":\"" + new string('b', 32) + "\",\"wsUserOptions\":\"" + new string('o', 1_300) + "\"}";
        var lua = new StringBuilder();
        lua.AppendLine($"local key, expires = \"{key}\", {expires}");
        lua.AppendLine($"local data = {Lua(data)}");
        lua.AppendLine("""
            local n, prefix, threads = 0, "", 0
            function setup(thread) threads = threads + 1; thread:set("id", threads) end
            function init(args) math.randomseed(os.time() * 100 + id); prefix = string.format("%06x%02x", math.random(0, 16777215), id) end
            function request()
              n = n + 1
              local user = math.random(0, 499)
              local body = "JSON..{\"data\":" .. data .. ",\"metadata\":{\"provider\":\"MediaWiki\\\\Session\\\\CookieSessionProvider\",\"userId\":" .. (3 + user) ..
                ",\"userName\":\"Bench User " .. user .. "\",\"userToken\":\"0123456789abcdef0123456789abcdef\",\"remember\":false,\"forceHTTPS\":false,\"expires\":" ..
                expires .. ",\"loggedOut\":0,\"persisted\":true}}"
              local headers = { ["Authorization"] = "Bearer " .. key }
              return wrk.format("POST", string.format("/sessions/v1/testwiki%%3AMWSession%%3Anew%s%012x", prefix, n), headers, body)
            end
            """ + TailFunction);
        var file = Path.Combine(folder, "new-sessions.lua");
        File.WriteAllText(file, lua.ToString());
        return file;
    }

    /// <summary>Wikimedia's session store in production: about 1,750 GETs, 600 POSTs and 25 DELETEs a second.</summary>
    private const int MixGets = 70, MixPosts = 24, MixDeletes = 1;

    /// <summary>
    /// Wikimedia's production mix (70 GET : 24 POST : 1 DELETE, PHP-serialized values of about 1.7 KB signed with an HMAC
    /// key, as its store is configured) beside the bare endpoint at the same number of requests in flight, from few to
    /// many: wrk keeps a fixed number in flight, so the highest rate with p99 under 10 ms is read off the steps.
    /// </summary>
    private static async Task WikimediaMixAsync(Topology app, string key, int seconds, string work)
    {
        var values = await WritePhpValuesAsync(app.Client, key, 2_000);
        var mix = new Target("Wikimedia mix", "/", WikimediaScript(work, key, values));
        var bare = new Target("bare", "/health/live", null);
        var bodyBytes = values.Average(v => Encoding.UTF8.GetByteCount(v.Body));
        Console.WriteLine($"  Wikimedia's production mix: {MixGets} GET : {MixPosts} POST : {MixDeletes} DELETE (1,750 : 600 : 25 a second), " +
                          $"PHP values of {bodyBytes:N0} bytes with an HMAC, {values.Count:N0} live sessions; one POST in 24 is a new login, which the DELETE logs out");
        Console.WriteLine($"  {"in flight",10} {"bare/s",9} {"mix/s",9} {"x bare",7} {"p50",9} {"p99",9} {"non-2xx",8}");
        (int InFlight, Figures Figures)? best = null;
        foreach (var inFlight in new[] { 2, 4, 8, 16, 32, 64 })
        {
            Wrk(app.Address, bare, inFlight, 2, work);
            var limit = Wrk(app.Address, bare, inFlight, seconds, work);
            Wrk(app.Address, mix, inFlight, 2, work);
            var (figures, output) = await app.SampleWhileAsync(() => WrkRun(app.Address, mix, inFlight, seconds, work));
            // The script counts each answer's status: which requests were not answered 2xx, and how.
            var statuses = Regex.Match(output, @"^statuses: (.*)$", RegexOptions.Multiline).Groups[1].Value;
            Console.WriteLine($"  {inFlight,10} {limit.Rps,9:N0} {figures.Rps,9:N0} {figures.Rps / limit.Rps,7:0.00} {figures.P50,7:0.00}ms {figures.P99,7:0.00}ms {figures.Errors,8:N0}  {statuses}");
            if (figures.P99 < 10 && figures.Errors == 0 && figures.Rps > (best?.Figures.Rps ?? 0)) best = (inFlight, figures);
        }
        const double all = MixGets + MixPosts + MixDeletes;
        Console.WriteLine(best is { } b
            ? $"  highest mix rate with p99 under 10 ms: {b.Figures.Rps:N0}/s with {b.InFlight} in flight (p99 {b.Figures.P99:0.00} ms): " +
              $"{b.Figures.Rps * MixGets / all:N0} GET, {b.Figures.Rps * MixPosts / all:N0} POST and {b.Figures.Rps * MixDeletes / all:N0} DELETE a second, " +
              $"{b.Figures.Rps / 2_375:0.0}x Wikimedia's"
            : "  no step of the mix kept p99 under 10 ms without errors");
    }

    /// <summary>
    /// Writes <paramref name="count"/> logged-in MWSession values on testwiki as Wikimedia's store holds them: PHP
    /// <c>serialize()</c> of the session, signed with an HMAC key, about 1.7 KB each (the data carries the tokens and
    /// state a Wikimedia session does, here as one string of filler).
    /// </summary>
    private static async Task<List<(string Key, string Body)>> WritePhpValuesAsync(HttpClient http, string key, int count)
    {
        static string S(string text) => $"s:{Encoding.UTF8.GetByteCount(text)}:\"{text}\";";
        static string A(params (string Key, string Value)[] entries) => $"a:{entries.Length}:{{{string.Concat(entries.Select(e => S(e.Key) + e.Value))}}}";
        var expires = DateTimeOffset.UtcNow.AddHours(2).ToUnixTimeSeconds();
        var hmacKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var values = new List<(string, string)>();
        for (var i = 0; i < count; i++)
        {
            var user = $"Bench Mix {i}";
            var data = A(("wsToken", S(Convert.ToHexString(BitConverter.GetBytes(i * 7919L)).PadRight(32, 'a'))), ("wsUserID", $"i:{100 + i};"), ("wsUserName", S(user)),
                ("wsEditToken", S(new string('e', 32))), ("AuthManager::authnState", "N;"), ("filler", S(new string('x', 1_050))));
            var metadata = A(("provider", S("MediaWiki\\Session\\CookieSessionProvider")), ("providerMetadata", "N;"), ("userId", $"i:{100 + i};"),
                ("userName", S(user)), ("userToken", S("0123456789abcdef0123456789abcdef")), ("remember", "b:0;"), ("forceHTTPS", "b:1;"),
                ("expires", $"i:{expires};"), ("loggedOut", "i:0;"), ("persisted", "b:1;"));
            var body = Encoding.UTF8.GetString(Core.MediaWiki.MediaWikiBlob.Sign(Core.MediaWiki.MediaWikiBlob.Php, hmacKey, Encoding.UTF8.GetBytes(A(("data", data), ("metadata", metadata)))));
            var storeKey = $"testwiki%3AMWSession%3Amix{i:x26}";
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/sessions/v1/{storeKey}g0") { Content = new StringContent(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            values.Add((storeKey, body));
        }
        return values;
    }

    /// <summary>
    /// The mix as a wrk script: GETs and saves (POSTs) of the 2,000 live sessions, each of wrk's two threads owning every
    /// other one; in every 95 requests one POST is a new login under a new key and the DELETE logs that session out.
    /// </summary>
    private static string WikimediaScript(string folder, string key, IReadOnlyList<(string Key, string Body)> values)
    {
        var lua = new StringBuilder();
        lua.AppendLine($"local key, gets, posts = \"{key}\", {MixGets}, {MixPosts}");
        lua.AppendLine("local values = {");
        foreach (var (storeKey, body) in values) lua.AppendLine($"  {{ {Lua("/sessions/v1/" + storeKey + "g")}, {Lua(body)} }},");
        lua.AppendLine("""
            }
            local threads, all = 0, {}
            function setup(thread) thread:set("tid", threads); threads = threads + 1; all[#all + 1] = thread end
            statuses = {}
            function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
            function done(summary, latency, requests)
              local total = {}
              for _, thread in ipairs(all) do
                for status, count in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + count end
              end
              local parts = {}
              for status, count in pairs(total) do parts[#parts + 1] = status .. " x" .. count end
              table.sort(parts)
              io.write("statuses: " .. table.concat(parts, ", ") .. "\n")
            end
            local mine, fresh, i, n, run = {}, {}, 0, 0, ""
            function init(args)
              for k = 1, #values do
                if (k - 1) % 2 == tid then mine[#mine + 1] = k end
              end
              i = math.random(#mine)
              -- every wrk run logs in under keys of its own: a key a logout deleted stays deleted
              run = string.format("%x%x", os.time(), math.random(0xffffff))
            end
            local function next_index() i = i % #mine + 1; return mine[i] end
            function request()
              n = n + 1
              local r = n % (gets + posts + 1)
              local headers = { ["Authorization"] = "Bearer " .. key }
              local k = next_index()
              if r == 0 and #fresh > 0 then
                -- a logout: the session the last new login made
                return wrk.format("DELETE", table.remove(fresh), headers, nil)
              elseif r == 1 then
                -- a new login: a new key, logged out later by a DELETE
                local path = values[k][1] .. "n" .. tid .. run .. "x" .. n
                fresh[#fresh + 1] = path
                return wrk.format("POST", path, headers, values[k][2])
              elseif r % 4 == 1 or r == 0 then
                -- a save of a live session
                return wrk.format("POST", values[k][1] .. "0", headers, values[k][2])
              end
              return wrk.format("GET", values[k][1] .. "0", headers, nil)
            end
            """);
        var file = Path.Combine(folder, "wikimedia.lua");
        File.WriteAllText(file, lua.ToString());
        return file;
    }

    private static string Lua(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static Figures Wrk(Uri address, Target target, int connections, int seconds, string work) =>
        WrkRun(address, target, connections, seconds, work).Figures;

    private static (Figures Figures, string Output) WrkRun(Uri address, Target target, int connections, int seconds, string work)
    {
        var script = target.Script is null ? "" : $"-s \"{target.Script}\" ";
        var output = Run("wrk", $"-t2 -c{connections} -d{seconds}s --latency {script}{new Uri(address, target.Path)}", work);
        double Latency(string percentile) => Milliseconds(Regex.Match(output, $@"^\s+{percentile}%\s+(\S+)", RegexOptions.Multiline).Groups[1].Value);
        var requests = long.Parse(Regex.Match(output, @"(\d+) requests in").Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = Regex.Match(output, @"Non-2xx or 3xx responses: (\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var socketErrors = Regex.Match(output, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        if (socketErrors.Success) errors += Enumerable.Range(1, 4).Sum(g => long.Parse(socketErrors.Groups[g].Value, CultureInfo.InvariantCulture));
        var timeouts = socketErrors.Success ? long.Parse(socketErrors.Groups[4].Value, CultureInfo.InvariantCulture) : 0;
        var rps = double.Parse(Regex.Match(output, @"Requests/sec:\s+([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var p999 = Regex.Match(output, @"^p99\.9 (\d+)", RegexOptions.Multiline) is { Success: true } tail ? long.Parse(tail.Groups[1].Value, CultureInfo.InvariantCulture) / 1000.0 : double.NaN;
        return (new Figures(rps, Latency("50"), Latency("99"), p999, requests, errors, timeouts), output);
    }

    private static double Milliseconds(string wrkTime) => wrkTime switch
    {
        _ when wrkTime.EndsWith("us") => double.Parse(wrkTime[..^2], CultureInfo.InvariantCulture) / 1000,
        _ when wrkTime.EndsWith("ms") => double.Parse(wrkTime[..^2], CultureInfo.InvariantCulture),
        _ when wrkTime.EndsWith('s') => double.Parse(wrkTime[..^1], CultureInfo.InvariantCulture) * 1000,
        _ => double.NaN,
    };

    private static int Option(string[] args, string name, int fallback) =>
        args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    internal static string Run(string file, string arguments, string folder)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {error.Result}{output.Result}");
        return output.Result;
    }

    /// <summary>The Release app as its own process on a loopback port: demo farm off, logging at Warning.</summary>
    private sealed class App : IAsyncDisposable
    {
        private readonly Process _process;
        private long _peak;

        private App(Process process, Uri address)
        {
            _process = process;
            Address = address;
            Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        }

        public Uri Address { get; }
        public HttpClient Client { get; }
        /// <summary>The app's last 40 lines of output (warnings and errors): what a non-2xx answer was.</summary>
        public required System.Collections.Concurrent.ConcurrentQueue<string> LastLines { get; init; }
        public long RssAtStart { get; private set; }
        public long PeakRss => _peak;

        public static async Task<App> StartAsync(string root, string database, string work, IReadOnlyDictionary<string, string>? settings = null)
        {
            var port = 20000 + Random.Shared.Next(20000);
            var start = new ProcessStartInfo("dotnet", $"bin/Release/net10.0/WikiSessions.Dashboard.dll --urls http://127.0.0.1:{port}")
            {
                WorkingDirectory = Path.Combine(root, "src", "Dashboard"), UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
                Environment =
                {
                    // Development: the seeded demo credentials, which Production refuses.
                    ["ASPNETCORE_ENVIRONMENT"] = "Development",
                    ["ConnectionStrings__Sessions"] = $"Data Source={database}",
                    ["Database__DataFolder"] = work,
                    ["DemoFarm__Enabled"] = "false",
                    ["Serilog__MinimumLevel__Default"] = "Warning",
                    ["RateLimits__AdminPermitLimit"] = "1000000",
                },
            };
            foreach (var (name, value) in settings ?? new Dictionary<string, string>()) start.Environment[name] = value;
            var process = Process.Start(start)!;
            // The app's last lines, to say why it did not start.
            var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
            void Keep(string? line)
            {
                if (line is null) return;
                output.Enqueue(line);
                while (output.Count > 40) output.TryDequeue(out _);
            }
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var app = new App(process, new Uri($"http://127.0.0.1:{port}")) { LastLines = output };
            for (var i = 0; ; i++)
            {
                try
                {
                    if ((await app.Client.GetAsync("/health/live")).IsSuccessStatusCode) break;
                }
                catch (HttpRequestException) when (i < 3000) // up to 10 minutes: migrating and seeding a fresh store on a shared, busy machine
                {
                }
                if (process.HasExited) throw new InvalidOperationException($"The app exited during start-up:\n{string.Join('\n', output)}");
                await Task.Delay(200);
            }
            app.RssAtStart = app.Rss();
            return app;
        }

        /// <summary>Runs <paramref name="action"/> (on another thread) while sampling the app's resident memory.</summary>
        public async Task<T> SampleWhileAsync<T>(Func<T> action)
        {
            var run = Task.Run(action);
            while (!run.IsCompleted)
            {
                _peak = Math.Max(_peak, Rss());
                await Task.WhenAny(run, Task.Delay(250));
            }
            return await run;
        }

        /// <summary>The store's statements and write transactions so far, from the app's own counters in /metrics.</summary>
        public async Task<StoreFigures> StoreCountersAsync()
        {
            var text = await Client.GetStringAsync("/metrics");
            double Value(string name) => Regex.Match(text, $@"^{name}(?:\{{[^}}]*\}})?\s+([\d.e+-]+)", RegexOptions.Multiline) is { Success: true } m
                ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"/metrics has no {name}.");
            return new StoreFigures((long)Value("wikisessions_store_reads_total"), (long)Value("wikisessions_store_writes_total"),
                (long)Value("wikisessions_store_write_transactions_total"), Value("wikisessions_store_write_transaction_time_seconds_total"),
                text.Contains("wikisessions_store_write_commits_total") ? (long)Value("wikisessions_store_write_commits_total") : (long)Value("wikisessions_store_write_transactions_total"));
        }

        public long Rss() => Status("VmRSS");
        public long HighWaterMark() => Status("VmHWM");

        private long Status(string field)
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith(field + ":"));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}
