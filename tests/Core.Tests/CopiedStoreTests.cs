using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests;

/// <summary>
/// Someone has a copy of the store (a backup, a copied SQLite file) and the source code. Nothing in it may be turned
/// into a working credential: not a session, central or remember-me cookie, not an OAuth authorization, not a staff
/// login or token, not a wiki key.
/// </summary>
public sealed partial class CopiedStoreTests : IDisposable
{
    private static readonly Dictionary<string, string> NoCookies = [];
    private readonly List<string> _copies = [];

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _copies.ForEach(SeededStore.Delete);
    }

    [Fact]
    public async Task A_copy_of_the_store_yields_no_working_credential_of_any_kind()
    {
        await using var farm = await TestFarm.StartAsync();
        var browser = await farm.LoginAsync(remember: true);
        var central = TestFarm.CookiesFor(browser.SetCookies, TestFarm.CentralHost);
        var autoLogin = await farm.ResolveAsync("dewiki", NoCookies, central);
        var bot = await farm.LoginAsync(TestFarm.Bob, "commonswiki", ProviderKind.BotPassword);
        var tool = await farm.LoginAsync(TestFarm.Carol, "wikidatawiki", ProviderKind.OAuth);
        // The real credentials work, so a refusal below is the copy's doing, not a broken farm.
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(browser.SetCookies, "en.wikipedia.org"))).Session);
        Assert.NotNull((await farm.ResolveAsync("wikidatawiki", NoCookies, authorization: tool.Authorization)).Session);
        Assert.True(autoLogin.AutoLogin);
        Assert.NotNull(bot.Session);

        var copy = await CopyStoreAsync(farm);
        var (sessionTables, everywhere) = await CandidatesAsync(copy);
        Assert.NotEmpty(sessionTables);
        var alice = await UserAsync(copy, TestFarm.Alice);
        var carol = await UserAsync(copy, TestFarm.Carol);
        var grantId = await ScalarAsync<long>(copy, $"SELECT g.Id FROM OAuthGrants g JOIN Users u ON u.Id = g.UserId WHERE u.Name = '{TestFarm.Carol}'");
        var epoch = await ScalarAsync<long>(copy, "SELECT Epoch FROM Farm");

        foreach (var value in sessionTables)
        {
            foreach (var candidate in new[] { value, value.Length > 32 ? value[..32] : value })
            {
                Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwiki_session"] = candidate })).Session);
                Assert.Null((await farm.ResolveAsync("dewiki", new Dictionary<string, string> { ["dewiki_session"] = candidate })).Session);
                Assert.Null((await farm.ResolveAsync("commonswiki", new Dictionary<string, string> { ["commonswiki_BPsession"] = candidate })).Session);
                Assert.Null((await farm.ResolveAsync("frwiki", NoCookies, new Dictionary<string, string> { [CookieRules.CentralSession] = candidate })).Session);
                Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwikiUserID"] = alice.Id, ["enwikiToken"] = candidate })).Session);
            }
            // An OAuth authorization computed as the engine computes it, with every value of the copy as the key.
            var forged = $"OAuth {grantId}.{Secrets.Hmac(value, $"oauth-token|{grantId}|{carol.Token}|{epoch}")[..40]}";
            Assert.Null((await farm.ResolveAsync("wikidatawiki", NoCookies, authorization: forged)).Session);
        }
        // The remember-me token as it used to be made from the user token, which the store holds.
        var oldRememberToken = Secrets.Hmac(alice.Token, "remember|enwiki")[..32];
        Assert.Null((await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwikiUserID"] = alice.Id, ["enwikiToken"] = oldRememberToken })).Session);
        // With the server key, which the copy lacks, the same forgery works: the key is what keeps the copy harmless.
        var key = farm.Services.GetRequiredService<ServerKey>();
        var withKey = $"OAuth {grantId}.{key.Mac($"oauth-token|{grantId}|{carol.Token}|{epoch}")[..40]}";
        Assert.NotNull((await farm.ResolveAsync("wikidatawiki", NoCookies, authorization: withKey)).Session);

        var staff = farm.Services.GetRequiredService<StaffDirectory>();
        foreach (var value in everywhere)
        {
            Assert.Null(await staff.VerifyTokenAsync(value));
            Assert.Null(await staff.VerifyWikiKeyAsync(value));
        }
        var logins = farm.Services.GetRequiredService<WikiSessions.Core.Staff.StaffLogins>();
        foreach (var (name, passwordHash, tokenHash) in await StaffRowsAsync(copy))
            foreach (var guess in new[] { name, passwordHash, tokenHash })
                Assert.Null(await logins.LoginAsync(name, guess));
    }

    [Fact]
    public async Task The_server_key_is_not_in_the_store()
    {
        await using var farm = await TestFarm.StartAsync();
        var key = farm.Services.GetRequiredService<ServerKey>();
        var (_, everywhere) = await CandidatesAsync(await CopyStoreAsync(farm));
        // Every handle in the store was made with the key; no value of the store reproduces one.
        await using var db = farm.Db();
        var login = await farm.LoginAsync();
        Assert.Equal(key.Handle(login.Session.Id), await db.Sessions.Select(s => s.Handle).SingleAsync());
        Assert.DoesNotContain(everywhere, v => Secrets.Hmac(v, "handle|" + login.Session.Id)[..16] == key.Handle(login.Session.Id));
    }

    private async Task<string> CopyStoreAsync(TestFarm farm)
    {
        await using (var db = farm.Db()) await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);");
        var copy = Path.Combine(Path.GetTempPath(), $"wikisessions-copy-{Guid.NewGuid():N}.db");
        File.Copy(farm.StorePath, copy);
        _copies.Add(copy);
        return copy;
    }

    /// <summary>
    /// Every value of the copy that could be key material: hex strings of 16 digits or more, and every value of a column
    /// named like a token, hash, key, secret or password. Values of the session tables (and the sandbox users) are tried
    /// as cookies and keys; values of every table as staff tokens and wiki keys.
    /// </summary>
    private static async Task<(IReadOnlyList<string> SessionTables, IReadOnlyList<string> Everywhere)> CandidatesAsync(string path)
    {
        HashSet<string> sessionTables = [], everywhere = [];
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        var tables = new List<string>();
        await using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        }
        foreach (var table in tables)
        {
            await using var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var sandboxUser = table == "Users" && reader.GetString(reader.GetOrdinal("Name")).StartsWith("Sandbox ", StringComparison.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    if (reader.IsDBNull(i) || reader.GetValue(i) is not string value || value.Length == 0) continue;
                    if (!HexLike().IsMatch(value) && !SecretColumn().IsMatch(reader.GetName(i))) continue;
                    everywhere.Add(value);
                    if (table is not ("Users" or "Wikis" or "Staff") || sandboxUser) sessionTables.Add(value);
                }
            }
        }
        return (sessionTables.ToList(), everywhere.ToList());
    }

    private static async Task<(string Id, string Token)> UserAsync(string path, string name)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Id, Token FROM Users WHERE Name = $name";
        command.Parameters.AddWithValue("$name", name);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetInt64(0).ToString(), reader.GetString(1));
    }

    private static async Task<IReadOnlyList<(string Name, string PasswordHash, string TokenHash)>> StaffRowsAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Name, PasswordHash, TokenHash FROM Staff";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(string, string, string)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        return rows;
    }

    private static async Task<T> ScalarAsync<T>(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T));
    }

    [GeneratedRegex("^[0-9a-fA-F]{16,}$")]
    private static partial Regex HexLike();

    [GeneratedRegex("Token|Hash|Key|Secret|Password|Handle", RegexOptions.IgnoreCase)]
    private static partial Regex SecretColumn();
}
