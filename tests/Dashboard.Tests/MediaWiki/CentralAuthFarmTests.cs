using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;
using WikiSessions.Core.MediaWiki;
using WikiSessions.Testing;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.MediaWiki;

/// <summary>
/// A real CentralAuth farm (loginwiki, enwiki, dewiki) keeps its local sessions, central sessions and tokens in the
/// app, PHP-serialized and signed, and is driven over HTTP. "Logged in" is what the wiki says
/// (<c>meta=userinfo</c>), never what a cookie jar holds.
/// </summary>
public sealed class CentralAuthFarmTests(CentralAuthFarm farm, ITestOutputHelper output) : IClassFixture<CentralAuthFarm>, IDisposable
{
    private readonly HttpClient _steward = farm.App.Loopback(LoopbackAppFactory.StaffToken("steward"));

    [CentralAuthFact]
    public async Task A_login_on_enwiki_is_central_dewiki_follows_and_the_store_keeps_each_wikis_session_and_the_central_one()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[0];
            using var onEn = new WikiBrowser(farm.En);
            await onEn.LoginAsync(user);
            using var onDe = new WikiBrowser(farm.De, onEn.Cookies);

            Assert.Equal(user, await onEn.UserAsync());
            Assert.Equal(user, await onDe.UserAsync());

            // The console reads both wikis' PHP-serialized sessions: the user and the provider, per wiki.
            foreach (var wiki in new[] { farm.En, farm.De })
                Assert.Single(await ActiveSessionsAsync(wiki.DbName, user));
            // The central session is the farm's: written with one wiki's key, read with the others'.
            await using var db = await farm.App.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync();
            var central = await db.Blobs.Where(b => b.Kind == CentralAuthKeys.SessionKind).Select(b => b.WikiId).ToListAsync();
            Assert.NotEmpty(central);
            Assert.False(await db.Events.AnyAsync(e => e.Kind == Core.Domain.SessionEventKind.OpaqueValue), "every value the farm wrote was readable");

            // The user page shows the central sessions, each with the wikis whose local sessions link to it.
            var page = await UserPageAsync(user);
            var centrals = page.GetProperty("centralSessions").EnumerateArray().ToList();
            Assert.NotEmpty(centrals);
            Assert.Equal(["dewiki", "enwiki"], centrals.SelectMany(c => c.GetProperty("wikis").EnumerateArray().Select(w => w.GetString()!)).Distinct().Order());
            Assert.All(centrals, c => Assert.Matches("^[A-Za-z0-9_-]+$", c.GetProperty("handle").GetString()!));
        });
    }

    [CentralAuthFact]
    public async Task A_logout_on_dewiki_logs_the_browser_out_of_every_wiki_and_its_kept_cookies_do_not_log_it_back_in()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[1];
            using var onEn = new WikiBrowser(farm.En);
            await onEn.LoginAsync(user);
            using var onDe = new WikiBrowser(farm.De, onEn.Cookies);
            Assert.Equal(user, await onDe.UserAsync());
            using var kept = onEn.Replay();

            await onDe.LogoutAsync();

            foreach (var wiki in farm.Wikis)
            {
                using var browser = new WikiBrowser(wiki, onEn.Cookies);
                Assert.Null(await browser.UserAsync());
                using var replayed = new WikiBrowser(wiki, kept.Cookies);
                Assert.Null(await replayed.UserAsync());
            }

            // enwiki's key and the central keys stay in the store, dead: the console shows none of them as active, and
            // one logout trace says what it saw on dewiki and what it inferred on enwiki.
            Assert.Empty(await ActiveSessionsAsync(farm.En.DbName, user));
            Assert.Empty(await ActiveSessionsAsync(farm.De.DbName, user));
            Assert.Empty((await UserPageAsync(user)).GetProperty("centralSessions").EnumerateArray());
            var traces = JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/logout-traces?user={Uri.EscapeDataString(user)}"))
                .GetProperty("items").EnumerateArray().ToList();
            var summary = Assert.Single(traces);
            Assert.Equal(farm.De.DbName, summary.GetProperty("wiki").GetString());
            var trace = JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/logout-traces/{summary.GetProperty("traceId").GetString()}"));
            var steps = trace.GetProperty("steps").EnumerateArray().ToDictionary(t => t.GetProperty("wiki").GetString()!, t => t.GetProperty("outcome").GetString()!);
            Assert.StartsWith("Observed:", steps[farm.De.DbName]);
            Assert.StartsWith("Inferred:", steps[farm.En.DbName]);
        });
    }

    [CentralAuthFact]
    public async Task A_browser_revoke_ends_the_central_session_and_every_linked_session_and_the_farms_token_reset_stops_the_remember_me_cookie()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[2];
            using var onEn = new WikiBrowser(farm.En);
            await onEn.LoginAsync(user, rememberMe: true);
            using var onDe = new WikiBrowser(farm.De, onEn.Cookies);
            Assert.Equal(user, await onDe.UserAsync());
            using var kept = onEn.Replay();

            var handle = Assert.Single(await ActiveSessionsAsync(farm.En.DbName, user)).GetProperty("handle").GetString();
            var revoke = await _steward.PostAsJsonAsync($"/api/v1/admin/sessions/{handle}/revoke", new { reason = "CentralAuth farm test: revoke" });
            var answer = await revoke.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(revoke.IsSuccessStatusCode, $"revoke: {(int)revoke.StatusCode} {answer}");

            // enwiki names a token reset command: CentralAuth's global token is reset, so nothing survives.
            Assert.Equal(JsonValueKind.Null, answer.GetProperty("survives").ValueKind);
            // The audit names the wiki that last wrote the farm-wide central key the revoke ended.
            await using (var db = await farm.App.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync())
            {
                var audit = await db.Audit.Where(a => a.Action == "revoke-session" && a.Target == handle).Select(a => a.Detail).SingleAsync();
                Assert.Matches("central session's value was last written by (enwiki|dewiki)", audit);
            }
            Assert.Empty(await ActiveSessionsAsync(farm.En.DbName, user));
            Assert.Empty(await ActiveSessionsAsync(farm.De.DbName, user));
            Assert.Empty((await UserPageAsync(user)).GetProperty("centralSessions").EnumerateArray());
            foreach (var wiki in farm.Wikis)
            {
                using var replayed = new WikiBrowser(wiki, kept.Cookies);
                Assert.Null(await replayed.UserAsync());
            }
        });
    }

    [CentralAuthFact]
    public async Task Without_a_reset_command_a_browser_revoke_says_the_centralauth_Token_cookie_survives_and_it_does()
    {
        await farm.ExplainAsync(async () =>
        {
            // dewiki and loginwiki name no command, and the user has sessions on dewiki only.
            var user = CentralAuthFarm.Users[3];
            using var onDe = new WikiBrowser(farm.De);
            await onDe.LoginAsync(user, rememberMe: true);
            using var kept = onDe.Replay();

            var handle = Assert.Single(await ActiveSessionsAsync(farm.De.DbName, user)).GetProperty("handle").GetString();
            var revoke = await _steward.PostAsJsonAsync($"/api/v1/admin/sessions/{handle}/revoke", new { reason = "CentralAuth farm test: revoke, no command" });
            var answer = await revoke.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(revoke.IsSuccessStatusCode, $"revoke: {(int)revoke.StatusCode} {answer}");

            var survives = answer.GetProperty("survives").GetString();
            Assert.Contains("centralauth_Token", survives);
            Assert.Contains("invalidateUserSessions.php --wiki=", survives);
            Assert.Empty(await ActiveSessionsAsync(farm.De.DbName, user));
            // What the answer says is so: the remember-me cookie logs the browser back in.
            using var replayed = new WikiBrowser(farm.De, kept.Cookies);
            Assert.Equal(user, await replayed.UserAsync());
        });
    }

    [CentralAuthFact]
    public async Task The_next_explicit_login_after_a_logout_carries_a_new_global_token_which_confirms_the_rotation_and_is_no_resurrection()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[4];
            using var onEn = new WikiBrowser(farm.En);
            await onEn.LoginAsync(user, rememberMe: true);
            await onEn.LogoutAsync();
            Assert.Null(await onEn.UserAsync());

            using var onDe = new WikiBrowser(farm.De, onEn.Cookies);
            await onDe.LoginAsync(user, rememberMe: true);
            Assert.Equal(user, await onDe.UserAsync());

            var summary = Assert.Single(await TracesAsync(user));
            Assert.Equal(0, summary.GetProperty("resurrections").GetInt32());
            var trace = JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/logout-traces/{summary.GetProperty("traceId").GetString()}"));
            var confirmed = trace.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("outcome").GetString()!)
                .Where(o => o.StartsWith("Observed: rotation confirmed", StringComparison.Ordinal)).ToList();
            Assert.Single(confirmed);
            Assert.Contains(farm.De.DbName, confirmed[0]);
            Assert.Empty(trace.GetProperty("resurrections").EnumerateArray());
            Assert.Single(await ActiveSessionsAsync(farm.De.DbName, user));
        });
    }

    [CentralAuthFact]
    public async Task Invalidating_a_user_with_remember_me_logs_the_browser_out_of_every_wiki_through_the_farms_token_reset()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[5];
            using var kept = await RememberedOnEnAndDeAsync(user);

            var answer = await ActAsync($"/api/v1/admin/users/{Uri.EscapeDataString(user)}/invalidate", "CentralAuth farm test: invalidate");

            Assert.Equal(JsonValueKind.Null, answer.GetProperty("survives").ValueKind);
            await AssertLoggedOutEverywhereAsync(user, kept);
        });
    }

    [CentralAuthFact]
    public async Task Preventing_a_user_with_remember_me_logs_the_browser_out_of_every_wiki_through_the_farms_token_reset()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[6];
            using var kept = await RememberedOnEnAndDeAsync(user);

            var answer = await ActAsync($"/api/v1/admin/users/{Uri.EscapeDataString(user)}/prevent", "CentralAuth farm test: prevent");

            Assert.Equal(JsonValueKind.Null, answer.GetProperty("survives").ValueKind);
            await AssertLoggedOutEverywhereAsync(user, kept);
        });
    }

    [CentralAuthFact]
    public async Task Without_a_reset_command_invalidate_and_prevent_say_the_centralauth_Token_cookie_survives_and_it_does()
    {
        await farm.ExplainAsync(async () =>
        {
            // dewiki and loginwiki name no command, and the users have sessions on dewiki only.
            foreach (var (user, action) in new[] { (CentralAuthFarm.Users[7], "invalidate"), (CentralAuthFarm.Users[8], "prevent") })
            {
                using var onDe = new WikiBrowser(farm.De);
                await onDe.LoginAsync(user, rememberMe: true);
                using var kept = onDe.Replay();

                var answer = await ActAsync($"/api/v1/admin/users/{Uri.EscapeDataString(user)}/{action}", $"CentralAuth farm test: {action}, no command");

                var survives = answer.GetProperty("survives").GetString();
                Assert.Contains("centralauth_Token", survives);
                Assert.Contains("invalidateUserSessions.php --wiki=", survives);
                Assert.Empty(await ActiveSessionsAsync(farm.De.DbName, user));
                // What the answer says is so: the remember-me cookie logs the browser back in.
                using var replayed = new WikiBrowser(farm.De, kept.Cookies);
                Assert.True(user == await replayed.UserAsync(), $"after {action}, the answer says centralauth_Token restores {user}");
            }
        });
    }

    /// <summary>A browser of the user logged in with remember-me on enwiki and dewiki, and a copy of its cookies.</summary>
    private async Task<WikiBrowser> RememberedOnEnAndDeAsync(string user)
    {
        using var onEn = new WikiBrowser(farm.En);
        await onEn.LoginAsync(user, rememberMe: true);
        using var onDe = new WikiBrowser(farm.De, onEn.Cookies);
        Assert.Equal(user, await onDe.UserAsync());
        return onEn.Replay();
    }

    private async Task<JsonElement> ActAsync(string path, string reason)
    {
        var response = await _steward.PostAsJsonAsync(path, new { reason });
        var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {answer}");
        return answer;
    }

    /// <summary>No wiki has the user logged in from the kept cookies, and the console shows none of their sessions as active.</summary>
    private async Task AssertLoggedOutEverywhereAsync(string user, WikiBrowser kept)
    {
        foreach (var wiki in farm.Wikis)
        {
            using var replayed = new WikiBrowser(wiki, kept.Cookies);
            Assert.True(await replayed.UserAsync() is null, $"{wiki.DbName} still has {user} logged in from the kept cookies");
            Assert.Empty(await ActiveSessionsAsync(wiki.DbName, user));
        }
        Assert.Empty((await UserPageAsync(user)).GetProperty("centralSessions").EnumerateArray());
    }

    private async Task<List<JsonElement>> TracesAsync(string user) =>
        JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/logout-traces?user={Uri.EscapeDataString(user)}"))
            .GetProperty("items").EnumerateArray().ToList();

    private async Task<JsonElement> UserPageAsync(string user) =>
        JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/users/{Uri.EscapeDataString(user)}"));

    private async Task<IReadOnlyList<JsonElement>> ActiveSessionsAsync(string wiki, string user)
    {
        var raw = await _steward.GetStringAsync($"/api/v1/admin/sessions?wiki={wiki}&active=true&pageSize=200");
        return JsonSerializer.Deserialize<JsonElement>(raw).GetProperty("items").EnumerateArray()
            .Where(s => s.TryGetProperty("user", out var u) && u.GetString() == user).ToList();
    }

    public void Dispose()
    {
        _steward.Dispose();
        if (CentralAuthSetup.Missing is null) output.WriteLine($"The CentralAuth farm started in {farm.StartTime.TotalSeconds:F1} s.");
    }
}
