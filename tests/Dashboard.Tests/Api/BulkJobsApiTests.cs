using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>/api/v1/admin/bulk-jobs: stewards only, input limits, the typed count, audit, and a job run by the app's own runner.</summary>
public sealed class BulkJobsApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private static readonly object Botnet = new { ip = "192.0.2.77", userAgent = "curl/8.0", secure = true };
    private static readonly object FromBotnet = new { ip = "192.0.2.0/24" };

    private async Task<(int Audit, int Jobs, int Ended)> StateAsync()
    {
        await using var db = app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContext();
        return (await db.Audit.CountAsync(), await db.BulkJobs.CountAsync(), await db.Sessions.CountAsync(s => s.EndedAt != null));
    }

    public static TheoryData<string, string, object, HttpStatusCode, string> Refused => new()
    {
        { "support", "/api/v1/admin/bulk-jobs/preview", new { kind = "revoke-sessions", filter = FromBotnet }, HttpStatusCode.Forbidden, "" },
        { "developer", "/api/v1/admin/bulk-jobs/preview", new { kind = "revoke-sessions", filter = FromBotnet }, HttpStatusCode.Forbidden, "" },
        { "developer", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = FromBotnet, reason = "Botnet" }, HttpStatusCode.Forbidden, "" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = FromBotnet, reason = "" }, HttpStatusCode.BadRequest, "reason" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = FromBotnet, reason = new string('x', 1001) }, HttpStatusCode.BadRequest, "reason" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "everything", filter = FromBotnet, reason = "Botnet" }, HttpStatusCode.BadRequest, "kind" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", reason = "Botnet" }, HttpStatusCode.BadRequest, "filter" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = new { }, reason = "Botnet" }, HttpStatusCode.BadRequest, "every session of the farm" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = new { ip = new string('1', 60) }, reason = "Botnet" }, HttpStatusCode.BadRequest, "ip" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = new { wiki = "nosuchwiki" }, reason = "Botnet" }, HttpStatusCode.NotFound, "nosuchwiki" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = new { origin = "teleport" }, reason = "Botnet" }, HttpStatusCode.BadRequest, "origin" },
        { "steward", "/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = new { ip = "192.0.2.0/24", from = "2026-12-03T10:00:00Z", to = "2026-12-03T09:00:00Z" }, reason = "Botnet" },
            HttpStatusCode.BadRequest, "'to' must be later" },
        { "steward", "/api/v1/admin/bulk-jobs/999999/cancel", new { reason = "Stop" }, HttpStatusCode.NotFound, "999999" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_refused_request_is_a_clear_4xx_and_changes_nothing(string role, string route, object body, HttpStatusCode status, string titleNames)
    {
        var before = await StateAsync();

        var response = await app.Staff(role).PostAsJsonAsync(route, body);

        Assert.Equal(status, response.StatusCode);
        if (titleNames != "")
            Assert.Contains(titleNames, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task A_steward_previews_starts_and_follows_a_job_that_the_app_runs_to_its_check()
    {
        foreach (var (user, wiki) in new[] { ("Sandbox Alice", "enwiki"), ("Sandbox Bob", "dewiki") })
            (await app.Wiki(wiki).PostAsJsonAsync($"/api/v1/wikis/{wiki}/login", new { user, provider = "cookie", client = Botnet, cookies = new { } })).EnsureSuccessStatusCode();
        var steward = app.Staff("steward");

        var preview = await (await steward.PostAsJsonAsync("/api/v1/admin/bulk-jobs/preview", new { kind = "revoke-sessions", filter = FromBotnet })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, preview.GetProperty("total").GetInt32());
        Assert.False(preview.GetProperty("confirmRequired").GetBoolean());
        Assert.Equal(2, preview.GetProperty("counts").GetArrayLength());

        var started = await steward.PostAsJsonAsync("/api/v1/admin/bulk-jobs", new { kind = "revoke-sessions", filter = FromBotnet, reason = "Credential stuffing" });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var job = await started.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("revoke-sessions", job.GetProperty("kind").GetString());
        Assert.Equal(started.Headers.Location!.ToString(), $"/api/v1/admin/bulk-jobs/{job.GetProperty("id").GetInt64()}");

        // The app's own runner takes it; wait on its state, not on time.
        JsonElement done = default;
        for (var i = 0; i < 600; i++)
        {
            done = await steward.GetFromJsonAsync<JsonElement>(started.Headers.Location);
            if (done.GetProperty("state").GetString() != "running") break;
            await Task.Delay(100);
        }
        Assert.Equal("done", done.GetProperty("state").GetString());
        Assert.Equal(2, done.GetProperty("sessionsEnded").GetInt32());
        Assert.True(done.GetProperty("checkPassed").GetBoolean());
        Assert.Contains("central sessions of those browsers are still valid", done.GetProperty("survives").GetString());

        var audit = await app.Staff("developer").GetFromJsonAsync<JsonElement>("/api/v1/admin/audit?pageSize=100");
        var actions = audit.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("action").GetString()).ToList();
        Assert.Contains("bulk-revoke-started", actions);
        Assert.Contains("bulk-revoke-batch", actions);
        Assert.Contains("bulk-revoke", actions);
        var cancel = await steward.PostAsJsonAsync($"{started.Headers.Location}/cancel", new { reason = "Too late" });
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
    }
}
