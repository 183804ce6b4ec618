using WikiSessions.Testing;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.MediaWiki;

/// <summary>
/// Two real MediaWiki 1.39 wikis keep their sessions in the app (the Kask protocol, <c>$wgSessionCacheType</c>)
/// and are driven over real HTTP: logins show in the admin API, a steward's revoke and a user invalidation end
/// them on the wiki, logout ends them, and one wiki's key cannot touch another wiki's sessions.
/// </summary>
public sealed class RealMediaWikiTests(MediaWikiFarm farm, ITestOutputHelper output) : IClassFixture<MediaWikiFarm>, IDisposable
{
    private readonly HttpClient _steward = farm.App.Loopback(LoopbackAppFactory.StaffToken("steward"));

    [MediaWikiFact]
    public async Task A_login_on_each_wiki_is_listed_with_its_user_and_provider_and_a_revoke_ends_it_on_that_wiki_only()
    {
        await farm.ExplainAsync(async () =>
        {
            const string user = "Kask Ada";
            using var onA = new WikiBrowser(farm.A);
            using var onB = new WikiBrowser(farm.B);
            await onA.LoginAsync(user);
            await onB.LoginAsync(user);
            Assert.Equal(user, await onA.UserAsync());
            Assert.Equal(user, await onB.UserAsync());

            // Each wiki's session is listed under that wiki, with the user and the cookie provider, and nothing secret.
            foreach (var (wiki, browser) in new[] { (farm.A, onA), (farm.B, onB) })
            {
                var (sessions, raw) = await ActiveSessionsAsync(wiki.DbName, user);
                var session = Assert.Single(sessions);
                Assert.Equal("cookie", session.GetProperty("provider").GetString());
                Assert.Equal(wiki.DbName, session.GetProperty("wiki").GetString());
                var detail = await _steward.GetStringAsync($"/api/v1/admin/sessions/{Handle(session)}");
                foreach (var text in new[] { raw, detail })
                {
                    Assert.DoesNotContain(browser.Cookie("_session")!, text);
                    foreach (var secret in new[] { "wsToken", "wsSessionSecret", "wsTokenSecrets", "authnState" })
                        Assert.DoesNotContain(secret, text);
                }
            }

            // A steward revokes the session on A: A's next request is anonymous, B's session lives on.
            var (onlyA, _) = await ActiveSessionsAsync(farm.A.DbName, user);
            var revoke = await _steward.PostAsJsonAsync($"/api/v1/admin/sessions/{Handle(onlyA.Single())}/revoke", new { reason = "real MediaWiki test: revoke" });
            Assert.True(revoke.IsSuccessStatusCode, $"revoke: {(int)revoke.StatusCode} {await revoke.Content.ReadAsStringAsync()}");
            Assert.Null(await onA.UserAsync());
            Assert.Equal(user, await onB.UserAsync());
            Assert.Empty((await ActiveSessionsAsync(farm.A.DbName, user)).Sessions);
            Assert.Single((await ActiveSessionsAsync(farm.B.DbName, user)).Sessions);
        });
    }

    [MediaWikiFact]
    public async Task Invalidating_a_user_ends_their_sessions_and_the_remember_me_token_cookie_brings_them_back_until_the_wiki_resets_the_token()
    {
        await farm.ExplainAsync(async () =>
        {
            const string user = "Kask Rem";
            using var browser = new WikiBrowser(farm.A);
            await browser.LoginAsync(user, rememberMe: true);
            Assert.NotNull(browser.Cookie("Token"));
            Assert.Equal(user, await browser.UserAsync());
            var (before, _) = await ActiveSessionsAsync(farm.A.DbName, user);
            var ended = Handle(Assert.Single(before));

            var invalidate = await _steward.PostAsJsonAsync($"/api/v1/admin/users/{Uri.EscapeDataString(user)}/invalidate", new { reason = "real MediaWiki test: invalidate" });
            Assert.True(invalidate.IsSuccessStatusCode, $"invalidate: {(int)invalidate.StatusCode} {await invalidate.Content.ReadAsStringAsync()}");
            // testwiki names no command to reset the token: the answer says what can still restore the user.
            var survives = (await invalidate.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("survives").GetString();
            Assert.Contains("Token cookie", survives);
            Assert.Contains(farm.A.DbName, survives);
            // The session's blob is gone: without the Token cookie the browser is anonymous.
            using (var withoutToken = browser.Replay("Token"))
                Assert.Null(await withoutToken.UserAsync());

            // MediaWiki logs the user back in from the Token cookie (its user token was not reset on the wiki):
            // the store cannot stop that, and the admin API shows the user's session again.
            Assert.Equal(user, await browser.UserAsync());
            var (after, _) = await ActiveSessionsAsync(farm.A.DbName, user);
            var back = Handle(Assert.Single(after));
            Assert.NotEqual(ended, back);
            // The console lists it as a resurrection, and says how to end it for good.
            var detail = await _steward.GetFromJsonAsync<JsonElement>($"/api/v1/admin/sessions/{back}");
            var resurrection = detail.GetProperty("events").EnumerateArray().SingleOrDefault(e => e.GetProperty("kind").GetString() == "resurrection");
            Assert.True(resurrection.ValueKind == JsonValueKind.Object, $"the session the Token cookie brought back is not flagged as a resurrection: {detail}");
            Assert.Contains("invalidateUserSessions.php", resurrection.GetProperty("detail").GetString());

            // The way out is on the wiki: invalidateUserSessions.php resets the user's token; the cookies then fail.
            await farm.A.RunAsync(farm.A.ConfigFile, "maintenance/invalidateUserSessions.php", "--user", user);
            using var replay = browser.Replay();
            Assert.Null(await replay.UserAsync());
        });
    }

    [MediaWikiFact]
    public async Task On_a_wiki_with_a_token_reset_command_invalidating_a_user_also_ends_their_remember_me_login()
    {
        await farm.ExplainAsync(async () =>
        {
            const string user = "Kask Tom";
            using var browser = new WikiBrowser(farm.B);
            await browser.LoginAsync(user, rememberMe: true);
            Assert.NotNull(browser.Cookie("Token"));
            Assert.Equal(user, await browser.UserAsync());
            using var stolen = browser.Replay();

            var invalidate = await _steward.PostAsJsonAsync($"/api/v1/admin/users/{Uri.EscapeDataString(user)}/invalidate", new { reason = "real MediaWiki test: invalidate with token reset" });
            var answer = await invalidate.Content.ReadFromJsonAsync<JsonElement>();
            Assert.True(invalidate.IsSuccessStatusCode, $"invalidate: {(int)invalidate.StatusCode} {answer}");
            Assert.Equal(JsonValueKind.Null, answer.GetProperty("survives").ValueKind);

            // The app ran invalidateUserSessions.php on test2wiki: the Token cookie no longer logs the user in.
            Assert.Null(await browser.UserAsync());
            Assert.Null(await stolen.UserAsync());
            Assert.Empty((await ActiveSessionsAsync(farm.B.DbName, user)).Sessions);
            var audit = await _steward.GetStringAsync("/api/v1/admin/audit?pageSize=50");
            Assert.Contains($"token of {user} reset on {farm.B.DbName}", audit);
        });
    }

    [MediaWikiFact]
    public async Task Logout_ends_the_session_and_its_replayed_cookies_are_anonymous()
    {
        await farm.ExplainAsync(async () =>
        {
            const string user = "Kask Leo";
            using var browser = new WikiBrowser(farm.B);
            await browser.LoginAsync(user);
            Assert.Equal(user, await browser.UserAsync());
            Assert.Single((await ActiveSessionsAsync(farm.B.DbName, user)).Sessions);
            using var stolen = browser.Replay();

            await browser.LogoutAsync();

            Assert.Null(await browser.UserAsync());
            Assert.Null(await stolen.UserAsync());
            Assert.Empty((await ActiveSessionsAsync(farm.B.DbName, user)).Sessions);
        });
    }

    [MediaWikiFact]
    public async Task A_wiki_key_cannot_touch_another_wikis_sessions_and_no_key_touches_none()
    {
        await farm.ExplainAsync(async () =>
        {
            var key = Uri.EscapeDataString($"{farm.B.DbName}:MWSession:{Guid.NewGuid():N}");
            using var asA = farm.App.Loopback(farm.A.Key);
            using var asB = farm.App.Loopback(farm.B.Key);
            using var anonymous = farm.App.Loopback();
            ByteArrayContent Body() => Blob("JSON..{\"data\":{},\"metadata\":{}}");

            Assert.Equal(HttpStatusCode.Forbidden, (await asA.PostAsync($"/sessions/v1/{key}", Body())).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/sessions/v1/{key}", Body())).StatusCode);
            var written = await asB.PostAsync($"/sessions/v1/{key}", Body());
            Assert.True(written.IsSuccessStatusCode, $"B writing its own key: {(int)written.StatusCode}");
            Assert.Equal(HttpStatusCode.Forbidden, (await asA.GetAsync($"/sessions/v1/{key}")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await asA.DeleteAsync($"/sessions/v1/{key}")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/sessions/v1/{key}")).StatusCode);
            Assert.Equal("JSON..{\"data\":{},\"metadata\":{}}", await asB.GetStringAsync($"/sessions/v1/{key}"));
        });
    }

    private static ByteArrayContent Blob(string text)
    {
        var content = new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(text));
        content.Headers.ContentType = new("application/octet-stream");
        return content;
    }

    private static string Handle(JsonElement session) => session.GetProperty("handle").GetString()!;

    /// <summary>The user's active sessions on a wiki as the admin API lists them, and the raw answer.</summary>
    private async Task<(IReadOnlyList<JsonElement> Sessions, string Raw)> ActiveSessionsAsync(string wiki, string user)
    {
        var raw = await _steward.GetStringAsync($"/api/v1/admin/sessions?wiki={wiki}&active=true&pageSize=200");
        var items = JsonSerializer.Deserialize<JsonElement>(raw).GetProperty("items").EnumerateArray()
            .Where(s => s.TryGetProperty("user", out var u) && u.GetString() == user).ToList();
        return (items, raw);
    }

    public void Dispose()
    {
        _steward.Dispose();
        if (MediaWikiSetup.Missing is null) output.WriteLine($"Both wikis were installed in {farm.InstallTime.TotalSeconds:F1} s.");
    }
}
