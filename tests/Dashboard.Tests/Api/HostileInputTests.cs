using System.Net;
using System.Text;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The app with the sweeper and the failure reporter held back, so only requests change the store.</summary>
public sealed class QuietAppFactory : AppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Sessions:SweepInterval", "1.00:00:00"),
        new("Sessions:StoreFailureReportInterval", "1.00:00:00"),
    ];
}

/// <summary>
/// Random and nasty requests to every route of the API, wiki and admin, and of MediaWiki's store: never a 500, and a refused request
/// changes nothing in the store. <c>WIKISESSIONS_HOSTILE_ITERATIONS</c> sets the number of requests
/// (default 1,500); CsCheck prints the seed of a failure, to replay with <c>WIKISESSIONS_HOSTILE_SEED</c>.
/// </summary>
public sealed class HostileInputTests(QuietAppFactory app) : IClassFixture<QuietAppFactory>
{
    private static readonly long Iterations =
        long.TryParse(Environment.GetEnvironmentVariable("WIKISESSIONS_HOSTILE_ITERATIONS"), out var n) ? n : 1500;
    private static readonly string? Seed = Environment.GetEnvironmentVariable("WIKISESSIONS_HOSTILE_SEED");

    private sealed record Route(string Method, string Template, bool Admin, string[] Query, string[] Body);

    private static readonly string[] Paging = ["page", "pageSize"];
    private static readonly string[] Filter = ["wiki", "user", "provider", "ip", "active", "page", "pageSize"];
    private static readonly string[] Reason = ["reason"];
    private static readonly Route[] Routes =
    [
        new("POST", "/api/v1/wikis/{wiki}/login", false, [], ["user", "provider", "remember", "appId", "consumer", "client", "cookies", "centralCookies"]),
        new("POST", "/api/v1/wikis/{wiki}/resolve", false, [], ["cookies", "centralCookies", "authorization", "client"]),
        new("POST", "/api/v1/wikis/{wiki}/logout", false, [], ["cookies", "centralCookies", "scope", "client"]),
        new("GET", "/api/v1/wikis/{wiki}/sessions/{id}/data", false, [], []),
        new("PUT", "/api/v1/wikis/{wiki}/sessions/{id}/data", false, [], ["expectedVersion", "data"]),
        new("GET", "/api/v1/admin/wikis", true, [], []),
        new("GET", "/api/v1/admin/users", true, ["prefix"], []),
        new("GET", "/api/v1/admin/users/{user}", true, [], []),
        new("GET", "/api/v1/admin/users/{user}/history", true, Paging, []),
        new("GET", "/api/v1/admin/users/{user}/blast-radius", true, [], []),
        new("GET", "/api/v1/admin/sessions", true, Filter, []),
        new("GET", "/api/v1/admin/sessions.csv", true, Filter, []),
        new("GET", "/api/v1/admin/sessions/{handle}", true, [], []),
        new("GET", "/api/v1/admin/logout-traces", true, ["user", "resurrected", "page", "pageSize"], []),
        new("GET", "/api/v1/admin/logout-traces/{traceId}", true, [], []),
        new("GET", "/api/v1/admin/sessions/{handle}/metadata-diffs", true, [], []),
        new("GET", "/api/v1/admin/audit", true, Paging, []),
        new("POST", "/api/v1/admin/sessions/{handle}/revoke", true, [], ["reason", "scope"]),
        new("POST", "/api/v1/admin/users/{name}/invalidate", true, [], Reason),
        new("POST", "/api/v1/admin/users/{name}/prevent", true, [], Reason),
        new("POST", "/api/v1/admin/users/{name}/lock", true, [], Reason),
        new("POST", "/api/v1/admin/users/{name}/unlock", true, [], Reason),
        new("POST", "/api/v1/admin/users/{name}/grants/{consumer}/revoke", true, [], Reason),
        new("POST", "/api/v1/admin/users/{name}/bot-passwords/{appId}/revoke", true, [], Reason),
        new("POST", "/api/v1/admin/invalidate-all", true, [], Reason),
        // MediaWiki's session store: any bytes are a value, so only refusals must leave the store as it was.
        new("GET", "/sessions/v1/{key}", false, [], []),
        new("POST", "/sessions/v1/{key}", false, [], ["data", "metadata"]),
        new("PUT", "/sessions/v1/{key}", false, [], ["data", "metadata"]),
        new("DELETE", "/sessions/v1/{key}", false, [], []),
        // A session value, whose metadata the store reads: every field of it is a wiki user's doing.
        new("PUT", "/sessions/v1/enwiki:MWSession:{key}", false, [], ["metadata"]),
        new("POST", "/sessions/v1/enwiki:MWSession:{key}", false, [], ["metadata"]),
    ];

    /// <summary>Plausible values, and the values that broke services like this one.</summary>
    private static readonly Gen<string> Text = Gen.Frequency(
        (6, Gen.OneOf(
            "", " ", "enwiki", "dewiki", "Sandbox Alice", "Sandbox Bob", "sandboxbot", "SandboxTool", "Widar", "cookie", "botpassword", "OAuth",
            "kerberos", "global", "local", "browser", "session", "everywhere", "true", "null", "NaN", "-1", "0", "2147483647", "2147483648",
            "-2147483649", "99999999999999999999", "1e309", "../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f", "/", "%", "?", "#",
            "\0", "a\r\nSet-Cookie: stolen=1", "\r\n\r\nHTTP/1.1 200 OK", "\ud800", "x\udc00y", "\U0001F600", "\uFEFF", "' OR 1=1 --",
            "<script>alert(1)</script>", "=cmd|' /C calc'!A0", "\t=1+1", "1.2.3/24", "::ffff:203.0.113.0/24", "::ffff:203.0.113.0/120",
            "203.0.113.0/24", "203.0.113.7", "fe80::1%eth0", "0x7f.1", "0123456789abcdef0123456789abcdef", "0123456789abcdef",
            "OAuth a.b", "Bearer x", "deleted")),
        (1, Gen.Int[1, 300_000].Select(n => new string('a', n))),
        (1, Gen.Int[1, 3000].Select(n => string.Concat(Enumerable.Repeat("\ud800", n)))),
        (2, Gen.String[0, 80]),
        (1, Gen.Char.Array[0, 200].Select(c => new string(c))));

    /// <summary>A JSON value as text: any type, with escapes that make lone surrogates, and nesting past any limit.</summary>
    private static readonly Gen<string> Value = Gen.Frequency(
        (5, Text.Select(Quote)),
        (2, Gen.OneOf("0", "-1", "1.5", "-0", "2147483648", "-9223372036854775809", "1e309", "true", "false", "null", "[]", "{}", "\"\"")),
        (1, Gen.Int[1, 5000].Select(n => new string('[', n) + new string(']', n))),
        (1, Gen.Int[1, 500].Select(n => string.Concat(Enumerable.Repeat("{\"a\":", n)) + "1" + new string('}', n))),
        (2, Gen.Select(Text, Text).Array[0, 6].Select(pairs => "{" + string.Join(",", pairs.Select(p => Quote(p.Item1) + ":" + Quote(p.Item2))) + "}")),
        (1, Gen.Int[65, 300].Select(count => "{" + string.Join(",", Enumerable.Range(0, count).Select(i => $"\"c{i}\":\"v\"")) + "}")),
        (2, Gen.Select(Text.Select(Quote), Text.Select(Quote), Gen.Bool).Select((ip, ua, secure) => $"{{\"ip\":{ip},\"userAgent\":{ua},\"secure\":{(secure ? "true" : "false")}}}")));

    /// <summary>User names as JSON text, as a wiki would send them for a user who chose a nasty name.</summary>
    private static readonly Gen<string> HostileUserName = Gen.OneOf(
        "\"Eve\\ud800\"", "\"\\udc00\"", "\"Eve\\ud83d\"", "\"Eve\\n[WRN] forged\"", "\"Eve\\r\"", "\"Eve\\u0000\"", "\"Eve\\u001b[31m\"",
        "\"Eve\\u0085\"", "\"Eve\\u2028\"", "\"Eve'$(id -un)'\"", "\"" + new string('x', 86) + "\"", "\"" + new string('x', 60_000) + "\"", "\"\"", "null", "3", "[]");

    /// <summary>The metadata of a Kask session value: any user ID, and names, tokens and providers from <see cref="Value"/>.</summary>
    private static readonly Gen<string> Metadata =
        from userId in Gen.OneOf("1", "7", "0", "-1", "\"3\"", "null", "2147483648")
        from userName in Gen.Frequency((1, Value), (1, HostileUserName))
        from fields in Gen.Select(Gen.OneOf("provider", "userToken", "expires", "remember", "loggedOut", "persisted", "forceHTTPS"), Value).Array[0, 4]
        select "{\"userId\":" + userId + ",\"userName\":" + userName + string.Concat(fields.Select(f => "," + Quote(f.Item1) + ":" + f.Item2)) + "}";

    private static readonly Gen<byte[]?> RawBody = Gen.OneOf<byte[]?>(
        null, [], "{"u8.ToArray(), "[]"u8.ToArray(), "null"u8.ToArray(), "\"text\""u8.ToArray(), [0xFF, 0xFE, 0x7B, 0x7D],
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D], Encoding.UTF8.GetBytes(new string('[', 100_000)));

    private sealed record Request(Route Route, string Path, byte[]? Body, string? ContentType, string? Token, (string Name, string Value)[] Headers)
    {
        public override string ToString()
        {
            var body = Body is null ? "(none)" : Encoding.UTF8.GetString(Body);
            return $"{Route.Method} {Shorten(Path)} body {Shorten(body)} type {ContentType} token {(Token is null ? "(own)" : Shorten(Token))} headers {string.Join("; ", Headers.Select(h => h.Name + ": " + Shorten(h.Value)))}";
        }
    }

    private static readonly Gen<Request> Requests =
        from route in Gen.OneOf(Routes)
        from values in Text.Array[4]
        from query in Gen.Select(Gen.OneOf(route.Query.Length == 0 ? ["page"] : route.Query), Text).Array[0, 4]
        from unknownQuery in Gen.Frequency((9, Gen.Const(false)), (1, Gen.Const(true)))
        from fields in Gen.Select(Gen.OneOf(route.Body.Length == 0 ? ["data"] : route.Body), Value).Array[0, 6]
        from rawBody in Gen.Frequency((8, Gen.Const((byte[]?)null)), (1, RawBody), (1, Gen.Int[1, 2_000_000].Select(n => (byte[]?)Encoding.UTF8.GetBytes("{\"reason\":\"" + new string('r', n) + "\"}"))))
        from contentType in Gen.Frequency((9, Gen.Const((string?)"application/json")), (1, Gen.OneOf<string?>(null, "text/plain", "application/json; charset=latin1", "multipart/form-data")))
        from token in Gen.Frequency((9, Gen.Const((string?)null)), (1, Text.Select(t => (string?)Header(t))))
        from headers in Gen.Select(Gen.OneOf("Cookie", "X-Forwarded-For", "X-Forwarded-Proto", "Referer", "User-Agent", "Accept-Language"), Text.Select(Header)).Array[0, 3]
        from metadata in Metadata
        select Build(route, values, query, unknownQuery, fields, rawBody, contentType, token, headers, metadata);

    private static Request Build(Route route, string[] values, (string, string)[] query, bool unknownQuery, (string, string)[] fields,
        byte[]? rawBody, string? contentType, string? token, (string, string)[] headers, string metadata)
    {
        if (route.Template.Contains("MWSession") && rawBody is null)
            rawBody = Encoding.UTF8.GetBytes("JSON.c2lnbmF0dXJl.{\"data\":{\"wsToken\":\"x\"},\"metadata\":" + metadata + "}");
        var i = 0;
        var path = System.Text.RegularExpressions.Regex.Replace(route.Template, @"\{(\w+)\}", _ => Escape(values[i++ % values.Length].Replace("\0", "")));
        // (A NUL in the path is refused by Kestrel itself; the in-process test server throws on it instead, so it is left out here.)
        var pairs = query.Select(q => Escape(q.Item1) + "=" + Escape(q.Item2)).ToList();
        if (unknownQuery) pairs.Add("unknown=" + Escape(values[^1]));
        if (pairs.Count > 0) path += "?" + string.Join("&", pairs);
        var body = route.Method is "GET" ? null
            : rawBody ?? Encoding.UTF8.GetBytes("{" + string.Join(",", fields.Select(f => Quote(f.Item1) + ":" + f.Item2)) + "}");
        return new Request(route, path, body, contentType, token, headers);
    }

    [Fact]
    public async Task No_request_gets_a_500_and_a_refused_request_changes_nothing()
    {
        var client = app.CreateClient();
        var started = DateTime.UtcNow;
        var statuses = new Dictionary<int, int>();
        await Requests.SampleAsync(async request =>
        {
            var before = await SnapshotAsync();
            var message = new HttpRequestMessage(new HttpMethod(request.Route.Method), request.Path);
            var token = request.Token ?? (request.Route.Admin ? LoopbackAppFactory.StaffToken("steward") : LoopbackAppFactory.WikiKey("enwiki"));
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
            foreach (var (name, value) in request.Headers) message.Headers.TryAddWithoutValidation(name, value);
            if (request.Body is { } body)
            {
                message.Content = new ByteArrayContent(body);
                if (request.ContentType is { } type) message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }

            var response = await client.SendAsync(message);
            var status = (int)response.StatusCode;
            lock (statuses) statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status < 500, $"{status} for {request}: {Shorten(await response.Content.ReadAsStringAsync())}");
            if (status < 400) return;
            var after = await SnapshotAsync();
            // A refused login is kept as an event by design (support staff look for it); nothing else may change.
            if (status == 403 && request.Route.Template.EndsWith("/login")) after = after with { Events = before.Events };
            Assert.True(before == after, $"{status} for {request} changed the store: {before} → {after}");
        }, iter: Iterations, threads: 1, seed: Seed, print: r => r.ToString());

        // Whatever the store kept, the admin API can look up and act on: one rule for user names.
        await using (var db = await app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync())
            foreach (var name in await db.Users.Select(u => u.Name).ToListAsync())
                WikiSessions.Core.Sessions.UserNames.Check(name);

        var summary = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}"));
        Console.WriteLine($"Hostile input: {Iterations} requests over {Routes.Length} routes in {DateTime.UtcNow - started:mm\\:ss}: {summary}");
        Assert.True(statuses.Keys.Count(s => s >= 400) >= 4, summary);
    }

    /// <summary>User names a wiki accepts that a shell would not take as they are: quotes, substitutions, separators, globs.</summary>
    private static readonly Gen<string> ShellNames =
        Gen.Frequency(
            (1, Gen.OneOf("'$(id -un)'", "'", "'\\''", "`id`", ";id", "|id", "&&id", "$HOME", "${IFS}", "\\", "!!", "*", "~root", "{a,b}", " -n", "\"'\"")),
            (3, Gen.Char[" '\"`$\\;|&<>(){}[]*?!~#=%^,-+:@.\u00a0\u2028abcé名"].Array[1, 30].Select(c => new string(c))),
            (1, Text))
        .Select(name => "Eve" + name)
        .Where(name => name.Length <= WikiSessions.Core.Sessions.UserNames.MaxLength && !name.Contains('/') && !name.Contains('%')
            && WikiSessions.Core.Sessions.BoundedText.IsWellFormed(name) && !name.Any(char.IsControl));

    [Fact]
    public async Task The_console_advice_for_any_user_name_gives_the_name_back_through_a_shell_and_runs_nothing()
    {
        const string prefix = "php maintenance/invalidateUserSessions.php --user ";
        var wiki = app.Wiki("enwiki");
        var steward = app.Staff("steward");
        var i = 0;
        await ShellNames.SampleAsync(async name =>
        {
            var key = "/sessions/v1/" + Uri.EscapeDataString($"enwiki:MWSession:advice{i++:D8}");
            var metadata = $"{{\"userId\":3,\"userName\":{Quote(name)},\"userToken\":\"t\",\"remember\":true,\"expires\":4102444800}}";
            var written = await wiki.PutAsync(key, new ByteArrayContent(Encoding.UTF8.GetBytes("JSON.c2ln.{\"data\":{},\"metadata\":" + metadata + "}")));
            Assert.True(written.IsSuccessStatusCode, $"{written.StatusCode}: {await written.Content.ReadAsStringAsync()}");

            var done = await steward.PostAsync($"/api/v1/admin/users/{Uri.EscapeDataString(name)}/invalidate",
                new StringContent("{\"reason\":\"Hostile name\"}", Encoding.UTF8, "application/json"));
            var answer = await done.Content.ReadAsStringAsync();
            Assert.True(done.IsSuccessStatusCode, $"{done.StatusCode}: {answer}");
            var survives = System.Text.Json.JsonDocument.Parse(answer).RootElement.GetProperty("survives").GetString()!;
            var start = survives.IndexOf(prefix, StringComparison.Ordinal);
            var end = survives.LastIndexOf("); set MediaWiki:Wikis:", StringComparison.Ordinal);
            Assert.True(start >= 0 && end > start, survives);
            Assert.Equal(Encoding.UTF8.GetBytes(name), Sh("printf %s " + survives[(start + prefix.Length)..end]));
        }, iter: 60, threads: 1, seed: Seed, print: name => Convert.ToHexString(Encoding.UTF8.GetBytes(name)));
    }

    /// <summary>What <c>/bin/sh -c</c> prints for <paramref name="script"/>, as bytes, run in a folder of its own.</summary>
    private static byte[] Sh(string script)
    {
        var folder = Directory.CreateTempSubdirectory("advice-").FullName;
        var start = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = folder };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = System.Diagnostics.Process.Start(start)!;
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
        Directory.Delete(folder);
        return output.ToArray();
    }

    private sealed record Snapshot(int Sessions, int Ended, int Central, int CentralEnded, int Remember, int Events, int Diffs, int Traces,
        int Audit, int Prevented, long UserVersions, int GrantsRevoked, int BotPasswordsRevoked, long Epoch, long DataVersions, int Users, int Values);

    private async Task<Snapshot> SnapshotAsync()
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync();
        return new Snapshot(
            await db.Sessions.CountAsync(), await db.Sessions.CountAsync(s => s.EndedAt != null),
            await db.CentralSessions.CountAsync(), await db.CentralSessions.CountAsync(s => s.EndedAt != null),
            await db.RememberTokens.CountAsync(), await db.Events.CountAsync(), await db.MetadataDiffs.CountAsync(),
            await db.LogoutTraces.CountAsync(), await db.Audit.CountAsync(), await db.Users.CountAsync(u => u.Prevented),
            await db.Users.SumAsync(u => (long)u.Version), await db.OAuthGrants.CountAsync(g => g.RevokedAt != null),
            await db.BotPasswords.CountAsync(b => b.RevokedAt != null), await db.Farm.Select(f => f.Epoch).SingleAsync(),
            await db.Sessions.SumAsync(s => (long)s.DataVersion), await db.Users.CountAsync(), await db.Blobs.CountAsync());
    }

    /// <summary>JSON string text that keeps lone surrogates as escapes, as a hostile client would send them.</summary>
    private static string Quote(string value)
    {
        var sb = new StringBuilder("\"", value.Length + 2);
        foreach (var c in value)
            sb.Append(c is '"' or '\\' || c < ' ' || c > '~' ? $"\\u{(int)c:x4}" : c.ToString());
        return sb.Append('"').ToString();
    }

    /// <summary>Percent-encodes UTF-8 (a lone surrogate becomes U+FFFD, as any client would send it), but leaves dots and slashes.</summary>
    private static string Escape(string value)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
            sb.Append(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' or (byte)'/' ? ((char)b).ToString() : $"%{b:X2}");
        return sb.ToString();
    }

    /// <summary>A header value a client can send at all: no line breaks or other controls (those are the Kestrel test's).</summary>
    private static string Header(string value) =>
        new(value.Where(c => c >= ' ' && c < 0x7F).Take(8000).ToArray());

    private static string Shorten(string value) => value.Length > 160 ? value[..160] + $"…({value.Length} chars)" : value;
}
