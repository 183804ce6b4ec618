using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>POST /api/v1/admin/users/{name}/secure-account: roles, input limits, audit, and the answer.</summary>
public sealed class SecureAccountApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly object Browser = new { ip = "203.0.113.7", userAgent = "Mozilla/5.0 Firefox/140.0", secure = true };

    private async Task<(int Audit, int Revoked)> StateAsync()
    {
        await using var db = app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContext();
        return (await db.Audit.CountAsync(), await db.BotPasswords.CountAsync(p => p.RevokedAt != null) + await db.OAuthGrants.CountAsync(g => g.RevokedAt != null));
    }

    public static TheoryData<string, object, HttpStatusCode, string> Refused => new()
    {
        { "support", new { reason = "Phished" }, HttpStatusCode.Forbidden, "" },
        { "developer", new { reason = "Phished" }, HttpStatusCode.Forbidden, "" },
        { "steward", new { reason = "" }, HttpStatusCode.BadRequest, "reason" },
        { "steward", new { reason = new string('x', 1001) }, HttpStatusCode.BadRequest, "reason" },
        { "steward", new { reason = "Phished", botPasswords = new[] { new string('b', 33) } }, HttpStatusCode.BadRequest, "botPasswords" },
        { "steward", new { reason = "Phished", botPasswords = Enumerable.Repeat("sandboxbot", 101).ToArray() }, HttpStatusCode.BadRequest, "botPasswords" },
        { "steward", new { reason = "Phished", oauthGrants = new[] { "" } }, HttpStatusCode.BadRequest, "oauthGrants" },
        { "steward", new { reason = "Phished", oauthGrants = new[] { "NoSuchTool" } }, HttpStatusCode.NotFound, "NoSuchTool" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refused_request_is_a_clear_4xx_and_changes_nothing(string role, object body, HttpStatusCode status, string titleNames)
    {
        var before = await StateAsync();

        var response = await app.Staff(role).PostAsJsonAsync("/api/v1/admin/users/Sandbox%20Bob/secure-account", body);

        Assert.Equal(status, response.StatusCode);
        if (titleNames != "")
            Assert.Contains(titleNames, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task Any_staff_sees_the_preview_and_a_steward_secures_the_account_in_one_request()
    {
        var login = await app.Wiki("enwiki").PostAsJsonAsync("/api/v1/wikis/enwiki/login", new { user = "Sandbox Carol", provider = "cookie", client = Browser, cookies = new { } });
        login.EnsureSuccessStatusCode();
        var preview = await app.Staff("support").GetFromJsonAsync<JsonElement>("/api/v1/admin/users/Sandbox%20Carol/secure-account");
        Assert.Equal(1, preview.GetProperty("activeSessions").GetInt32());
        Assert.Equal("sandboxbot", preview.GetProperty("botPasswords")[0].GetString());

        var response = await app.Staff("steward").PostAsJsonAsync("/api/v1/admin/users/Sandbox%20Carol/secure-account",
            new { reason = "Password reused from a breach", oauthGrants = Array.Empty<string>() });

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var done = JsonDocument.Parse(text).RootElement;
        Assert.Equal("secure-account", done.GetProperty("action").GetString());
        Assert.Equal(1, done.GetProperty("sessionsEnded").GetInt32());
        Assert.True(done.GetProperty("check").GetProperty("passed").GetBoolean());
        Assert.Equal("sandboxbot", done.GetProperty("botPasswordsRevoked")[0].GetString());
        Assert.Contains("OAuth grant of SandboxTool was left unticked", done.GetProperty("survives").GetString());
        var audit = await app.Staff("steward").GetFromJsonAsync<JsonElement>("/api/v1/admin/audit");
        var entry = audit.GetProperty("items")[0];
        Assert.Equal(("secure-account", "Sandbox Carol"), (entry.GetProperty("action").GetString(), entry.GetProperty("target").GetString()));
    }
}
