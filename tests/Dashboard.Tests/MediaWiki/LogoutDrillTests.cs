using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Metrics;
using WikiSessions.Testing;

namespace WikiSessions.Dashboard.Tests.MediaWiki;

/// <summary>
/// The farm of the drill: dewiki runs its own copy of CentralAuth whose logout skips the rotation of the global token
/// (<c>UserLogoutHookHandler::onUserLogout</c>), the bug behind "logging out logs you back in". The other wikis run the
/// extension as shipped.
/// </summary>
public sealed class BrokenLogoutFarm : CentralAuthFarm
{
    protected override CentralAuthPatch Patch { get; } = new("dewiki", "includes/Hooks/Handlers/UserLogoutHookHandler.php",
        "$centralUser->resetAuthToken();", "/* drill: this logout forgets to rotate the global token */");
}

/// <summary>
/// "Logout logs you back in", replayed on a real CentralAuth farm whose dewiki skips the token rotation at logout. With
/// Wikimedia's host-only cookies, a logout answered by dewiki's host clears the cookies of that host only: the browser's
/// cookies on the other wikis' hosts stay. The farm's wikis share one host on several ports, so those cookies are a copy of
/// the jar taken before the logout. "Logged in" is what the wiki says (<c>meta=userinfo</c>).
/// </summary>
public sealed class LogoutDrillTests(BrokenLogoutFarm farm) : IClassFixture<BrokenLogoutFarm>, IDisposable
{
    private readonly HttpClient _steward = farm.App.Loopback(LoopbackAppFactory.StaffToken("steward"));

    [CentralAuthFact]
    public async Task The_drill_a_logout_that_skips_the_token_rotation_logs_the_browser_back_in_and_the_console_flags_the_auto_login_as_its_resurrection()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[0];
            using var onEn = new WikiBrowser(farm.En);
            await onEn.LoginAsync(user, rememberMe: true);
            using var onEnHost = onEn.Replay();
            Assert.Contains(onEnHost.Cookies.GetAllCookies(), c => c.Name == "centralauth_Token");
            using var onDe = new WikiBrowser(farm.De, onEn.Cookies);
            Assert.Equal(user, await onDe.UserAsync());

            await onDe.LogoutAsync();
            Assert.Null(await onDe.UserAsync());

            // The bug, reproduced: enwiki logs the browser straight back in from its kept centralauth_Token, since the
            // global token it names was never rotated (the store answers 404 for the sessions the logout ended, so this
            // is a new login, not an old session).
            using var back = new WikiBrowser(farm.En, onEnHost.Cookies);
            Assert.Equal(user, await back.UserAsync());

            // The console catches it: the session of that auto-login carries the very global token the logout should
            // have rotated away, so it is the resurrection of the logout's trace.
            var summary = Assert.Single(await TracesAsync(user));
            var traceId = summary.GetProperty("traceId").GetString()!;
            Assert.Equal(farm.De.DbName, summary.GetProperty("wiki").GetString());
            Assert.True(summary.GetProperty("resurrections").GetInt32() >= 1, $"the trace counts its resurrections: {summary}");
            var trace = await TraceAsync(traceId);
            var resurrected = trace.GetProperty("resurrections").EnumerateArray().ToList();
            Assert.Contains(resurrected, r => r.GetProperty("wiki").GetString() == farm.En.DbName);
            // The rotation was only ever inferred: no write confirmed it.
            Assert.DoesNotContain(Steps(trace), s => s.Contains("rotation confirmed", StringComparison.Ordinal));

            await using var db = await farm.App.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync();
            var userId = await db.Users.Where(u => u.Name == user).Select(u => u.Id).SingleAsync();
            var events = await db.Events.Where(e => e.Kind == SessionEventKind.Resurrection && e.UserId == userId).ToListAsync();
            Assert.NotEmpty(events);
            Assert.All(events, e => Assert.Contains($"logout on {farm.De.DbName}", e.Detail));
            // It feeds the operations signal (and its alert rule) as the console's own resurrections do: counted in memory
            // until the next flush, then in the store's buckets.
            var enwiki = await db.Wikis.Where(w => w.DbName == farm.En.DbName).Select(w => w.Id).SingleAsync();
            var counted = farm.App.Services.GetRequiredService<SessionMetrics>().Peek().GetValueOrDefault(farm.En.DbName)?[(int)Signal.Resurrections] ?? 0;
            counted += await db.MetricBuckets.Where(b => b.WikiId == enwiki && b.Signal == Signal.Resurrections).SumAsync(b => b.Value);
            Assert.True(counted >= 1, "the resurrection is counted on enwiki");
        });
    }

    [CentralAuthFact]
    public async Task A_central_session_the_console_ended_is_a_miss_so_kept_cookies_without_remember_me_stay_logged_out_though_the_wiki_skipped_the_rotation()
    {
        await farm.ExplainAsync(async () =>
        {
            var user = CentralAuthFarm.Users[1];
            using var onEn = new WikiBrowser(farm.En);
            await onEn.LoginAsync(user);
            using var otherHosts = onEn.Replay();
            Assert.Contains(otherHosts.Cookies.GetAllCookies(), c => c.Name == "centralauth_Session");
            using var onDe = new WikiBrowser(farm.De, onEn.Cookies);
            Assert.Equal(user, await onDe.UserAsync());

            await onDe.LogoutAsync();

            // The kept centralauth_Session cookie names a central session whose token dewiki did not rotate: the store
            // answers 404 for it, as for the local sessions the logout ended, so no wiki logs the browser back in.
            foreach (var wiki in farm.Wikis)
            {
                using var kept = new WikiBrowser(wiki, otherHosts.Cookies);
                Assert.Null(await kept.UserAsync());
            }
            Assert.Empty((await TraceAsync(Assert.Single(await TracesAsync(user)).GetProperty("traceId").GetString()!)).GetProperty("resurrections").EnumerateArray());
        });
    }

    private async Task<List<JsonElement>> TracesAsync(string user) =>
        JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/logout-traces?user={Uri.EscapeDataString(user)}"))
            .GetProperty("items").EnumerateArray().ToList();

    private async Task<JsonElement> TraceAsync(string traceId) =>
        JsonSerializer.Deserialize<JsonElement>(await _steward.GetStringAsync($"/api/v1/admin/logout-traces/{traceId}"));

    private static IEnumerable<string> Steps(JsonElement trace) => trace.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("outcome").GetString()!);

    public void Dispose() => _steward.Dispose();
}
