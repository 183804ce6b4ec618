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
        });
    }

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
