using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The Kask protocol as MediaWiki's RESTBagOStuff speaks it, over HTTP.</summary>
public sealed class MediaWikiStoreApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static string Key(string wiki, string id) => "/sessions/v1/" + Uri.EscapeDataString($"{wiki}:MWSession:{id}");

    private static ByteArrayContent Blob(string user, long expires)
    {
        var json = JsonSerializer.Serialize(new
        {
            data = new { wsToken = "csrf-salt" },
            metadata = new { provider = "MediaWiki\\Session\\CookieSessionProvider", userId = 7, userName = user, userToken = "0123456789abcdef0123456789abcdef", remember = false, forceHTTPS = false, expires, loggedOut = 0, persisted = true },
        });
        // MediaWiki sends application/x-www-form-urlencoded whatever writeHeaders say, unless php-curl is installed.
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("JSON.aG1hYw==." + json));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        return content;
    }

    [Fact]
    public async Task A_wiki_writes_reads_back_the_same_bytes_and_deletes_and_the_console_lists_the_session_without_its_id()
    {
        var testwiki = app.Wiki("testwiki");
        var key = Key("testwiki", "apitest0000000000000000000000001");
        var body = Blob("Store Api User", DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds());
        var bytes = await body.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.Created, (await testwiki.PostAsync(key, body)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await testwiki.PutAsync(key, new ByteArrayContent(bytes))).StatusCode);
        var read = await testwiki.GetAsync(key);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(bytes, await read.Content.ReadAsByteArrayAsync());

        var listed = await app.Staff("developer").GetStringAsync("/api/v1/admin/sessions?wiki=testwiki&user=Store%20Api%20User");
        var item = JsonDocument.Parse(listed).RootElement.GetProperty("items")[0];
        Assert.Equal(("testwiki", "Store Api User", "cookie"), (item.GetProperty("wiki").GetString(), item.GetProperty("user").GetString(), item.GetProperty("provider").GetString()));
        Assert.DoesNotContain("apitest", listed);
        Assert.DoesNotContain("csrf-salt", listed);

        Assert.Equal(HttpStatusCode.NoContent, (await testwiki.DeleteAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await testwiki.GetAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await testwiki.DeleteAsync(key)).StatusCode);
    }

    [Fact]
    public async Task A_missing_or_wrong_key_is_401_another_wikis_key_403_and_a_big_body_413_and_nothing_is_written()
    {
        var key = Key("test2wiki", "apitest0000000000000000000000002");
        var anonymous = app.CreateClient();
        var wrong = app.WithBearer("not-a-key");
        var other = app.Wiki("testwiki");

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync(key, Blob("Someone", 0))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsync(key, Blob("Someone", 0))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.DeleteAsync(key)).StatusCode);
        var big = await app.Wiki("test2wiki").PostAsync(key, new ByteArrayContent(new byte[64 * 1024 + 1]));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Contains("64 KB", (await big.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await app.Wiki("test2wiki").GetAsync(key)).StatusCode);
        // A staff token is not a wiki key: the store does not know it.
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Staff("steward").GetAsync(key)).StatusCode);
    }

    [Fact]
    public async Task A_write_after_a_logout_deleted_the_same_key_is_a_403_miss_and_no_store_failure()
    {
        var testwiki = app.Wiki("testwiki");
        var key = Key("testwiki", "apitest0000000000000000000000003");
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var failures = app.Services.GetRequiredService<StoreHealth>().Failures;
        Assert.Equal(HttpStatusCode.Created, (await testwiki.PostAsync(key, Blob("Raced Logout User", expires))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await testwiki.DeleteAsync(key)).StatusCode);

        // A parallel request of the same browser saves the session the logout just deleted.
        var again = await testwiki.PostAsync(key, Blob("Raced Logout User", expires));

        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Contains("logged out", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await testwiki.GetAsync(key)).StatusCode);
        Assert.Equal(failures, app.Services.GetRequiredService<StoreHealth>().Failures);
    }

    [Fact]
    public async Task A_plain_login_a_moment_after_a_logout_is_not_flagged_as_a_resurrection()
    {
        var testwiki = app.Wiki("testwiki");
        var expires = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        var first = Key("testwiki", "apitest0000000000000000000000004");
        Assert.Equal(HttpStatusCode.Created, (await testwiki.PostAsync(first, Blob("Plain Relogin User", expires))).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await testwiki.DeleteAsync(first)).StatusCode);

        await Task.Delay(TimeSpan.FromSeconds(1.5));
        Assert.Equal(HttpStatusCode.Created, (await testwiki.PostAsync(Key("testwiki", "apitest0000000000000000000000005"), Blob("Plain Relogin User", expires))).StatusCode);

        await using var db = await app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync();
        var user = await db.Users.SingleAsync(u => u.Name == "Plain Relogin User");
        Assert.False(await db.Events.AnyAsync(e => e.Kind == SessionEventKind.Resurrection && e.UserId == user.Id));
        Assert.Equal(0, await db.Sessions.CountAsync(s => s.UserId == user.Id && s.ResurrectionOfTraceId != null));
    }
}
