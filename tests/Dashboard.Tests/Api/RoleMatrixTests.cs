using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>Every admin route against every role and no credential. A refused request changes nothing.</summary>
public sealed class RoleMatrixTests(AppFactory app) : IClassFixture<AppFactory>
{
    private const string Read = "support,developer,steward";
    private const string Diagnose = "developer,steward";
    private const string Change = "steward";

    // Allowed requests are built so that they change nothing either (unknown targets, empty reasons):
    // the matrix is about who may call, not about what the action does.
    public static TheoryData<string, string, string?, string> Routes => new()
    {
        { "GET", "/api/v1/admin/wikis", null, Read },
        { "GET", "/api/v1/admin/users?prefix=Sand", null, Read },
        { "GET", "/api/v1/admin/users/Sandbox%20Alice", null, Read },
        { "GET", "/api/v1/admin/users/Sandbox%20Alice/history", null, Read },
        { "GET", "/api/v1/admin/users/Sandbox%20Alice/blast-radius", null, Read },
        { "GET", "/api/v1/admin/sessions?wiki=enwiki&page=1&pageSize=10", null, Read },
        { "GET", "/api/v1/admin/sessions.csv?wiki=enwiki", null, Read },
        { "GET", "/api/v1/admin/sessions/0000000000000000", null, Read },
        { "GET", "/api/v1/admin/logout-traces", null, Diagnose },
        { "GET", "/api/v1/admin/logout-traces/00000000000000000000000000000000", null, Diagnose },
        { "GET", "/api/v1/admin/sessions/0000000000000000/metadata-diffs", null, Diagnose },
        { "GET", "/api/v1/admin/audit", null, Diagnose },
        { "POST", "/api/v1/admin/sessions/0000000000000000/revoke", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/users/Nobody%20Here/invalidate", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/users/Nobody%20Here/prevent", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/users/Nobody%20Here/lock", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/users/Nobody%20Here/unlock", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/users/Nobody%20Here/grants/SandboxTool/revoke", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/users/Nobody%20Here/bot-passwords/sandboxbot/revoke", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/invalidate-all", """{"reason":""}""", Change },
        { "GET", "/api/v1/admin/users/Sandbox%20Alice/secure-account", null, Read },
        { "POST", "/api/v1/admin/users/Nobody%20Here/secure-account", """{"reason":"matrix"}""", Change },
        { "GET", "/api/v1/admin/staff", null, Change },
        { "POST", "/api/v1/admin/staff", """{"name":"matrix","role":"support","reason":""}""", Change },
        { "POST", "/api/v1/admin/staff/Nobody%20Here/role", """{"role":"steward","reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/staff/Nobody%20Here/disable", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/staff/Nobody%20Here/enable", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/staff/Nobody%20Here/reset-password", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/staff/Nobody%20Here/new-token", """{"reason":"matrix"}""", Change },
        { "POST", "/api/v1/admin/staff/Nobody%20Here/end-sessions", """{"reason":"matrix"}""", Change },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Each_role_gets_exactly_what_the_contract_allows(string method, string path, string? body, string allowed)
    {
        var epoch = await EpochAsync();
        var audited = await AuditCountAsync();
        foreach (var role in new[] { "support", "developer", "steward", "" })
        {
            var client = role == "" ? app.CreateClient() : app.Staff(role);
            var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path)
            {
                Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
            });

            var expected = role == "" ? HttpStatusCode.Unauthorized : allowed.Split(',').Contains(role) ? (HttpStatusCode?)null : HttpStatusCode.Forbidden;
            if (expected is { } status)
            {
                Assert.True(status == response.StatusCode, $"{role} {method} {path}: expected {status}, got {(int)response.StatusCode}");
            }
            else
            {
                Assert.True(response.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) && (int)response.StatusCode < 500,
                    $"{role} {method} {path}: expected access, got {(int)response.StatusCode}");
            }
        }
        Assert.Equal(epoch, await EpochAsync());
        Assert.Equal(audited, await AuditCountAsync());
    }

    [Fact]
    public async Task A_wiki_key_cannot_call_admin_routes()
    {
        var response = await app.Wiki("enwiki").GetAsync("/api/v1/admin/wikis");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_steward_action_with_a_reason_is_audited_and_without_one_is_refused()
    {
        var steward = app.Staff("steward");
        var login = await app.Wiki("itwiki").PostAsJsonAsync("/api/v1/wikis/itwiki/login", new { user = "Sandbox Bob", provider = "cookie" });
        login.EnsureSuccessStatusCode();
        var session = (await steward.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/admin/sessions?wiki=itwiki&user=Sandbox%20Bob&active=true"))
            .GetProperty("items")[0].GetProperty("handle").GetString();

        var noReason = await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{session}/revoke", new { reason = "  " });
        var badScope = await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{session}/revoke", new { reason = "Test", scope = "everything" });
        var revoked = await steward.PostAsJsonAsync($"/api/v1/admin/sessions/{session}/revoke", new { reason = "Test of the audit log", scope = "session" });

        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badScope.StatusCode);
        Assert.Contains("not a revoke scope", await badScope.Content.ReadAsStringAsync());
        var answer = await revoked.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(1, answer.GetProperty("sessionsEnded").GetInt32());
        Assert.True(answer.GetProperty("check").GetProperty("passed").GetBoolean());
        Assert.Contains("auto-login", answer.GetProperty("survives").GetString());
        var audit = await app.Staff("developer").GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/admin/audit");
        var entry = audit.GetProperty("items")[0];
        Assert.Equal(("steward", "revoke-session", session, "Test of the audit log"),
            (entry.GetProperty("actor").GetString(), entry.GetProperty("action").GetString(), entry.GetProperty("target").GetString(), entry.GetProperty("reason").GetString()));
    }

    private async Task<int> AuditCountAsync() =>
        (await app.Services.GetRequiredService<WikiSessions.Core.Admin.FarmQueries>().AuditAsync()).Total;

    private async Task<long> EpochAsync()
    {
        await using var db = app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContext();
        return await db.Farm.Select(f => f.Epoch).SingleAsync();
    }
}
