using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The staff routes: only stewards, clear 4xx for bad input, and secrets in the answer once.</summary>
public sealed class StaffApiTests(AppFactory app) : IClassFixture<AppFactory>
{
    private async Task<int> AuditCountAsync() =>
        (await app.Staff("steward").GetFromJsonAsync<JsonElement>("/api/v1/admin/audit")).GetProperty("total").GetInt32();

    [Fact]
    public async Task A_steward_adds_an_account_whose_token_works_at_once_and_the_list_never_shows_secrets()
    {
        var response = await app.Staff("steward").PostAsJsonAsync("/api/v1/admin/staff", new { name = "Night Support", role = "support", reason = "New hire" });

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var added = JsonDocument.Parse(text).RootElement;
        Assert.True(added.GetProperty("check").GetProperty("passed").GetBoolean());
        var token = added.GetProperty("token").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await app.WithBearer(token).GetAsync("/api/v1/admin/wikis")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.WithBearer(token).GetAsync("/api/v1/admin/staff")).StatusCode);
        var list = await app.Staff("steward").GetStringAsync("/api/v1/admin/staff");
        Assert.Contains("Night Support", list);
        Assert.DoesNotContain(token, list);
        Assert.DoesNotContain("hash", list, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<string, object, HttpStatusCode> Refused => new()
    {
        { "/api/v1/admin/staff", new { name = "x", role = "admin", reason = "r" }, HttpStatusCode.BadRequest },
        { "/api/v1/admin/staff", new { name = "  ", role = "support", reason = "r" }, HttpStatusCode.BadRequest },
        { "/api/v1/admin/staff", new { name = new string('n', 86), role = "support", reason = "r" }, HttpStatusCode.BadRequest },
        { "/api/v1/admin/staff", new { name = "developer", role = "support", reason = "r" }, HttpStatusCode.Conflict },
        { "/api/v1/admin/staff/steward/role", new { role = "support", reason = "Step down" }, HttpStatusCode.Conflict },
        { "/api/v1/admin/staff/steward/disable", new { reason = "Leaving" }, HttpStatusCode.Conflict },
        { "/api/v1/admin/staff/developer/role", new { role = "developer", reason = "Same" }, HttpStatusCode.Conflict },
        { "/api/v1/admin/staff/developer/new-token", new { reason = "" }, HttpStatusCode.BadRequest },
        { "/api/v1/admin/staff/nobody/new-token", new { reason = "r" }, HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Bad_input_and_the_last_steward_are_refused_with_a_title_and_nothing_changes(string path, object body, HttpStatusCode status)
    {
        var audited = await AuditCountAsync();

        var response = await app.Staff("steward").PostAsJsonAsync(path, body);

        Assert.Equal(status, response.StatusCode);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString()));
        Assert.Equal(audited, await AuditCountAsync());
        Assert.Equal(HttpStatusCode.OK, (await app.Staff("steward").GetAsync("/api/v1/admin/staff")).StatusCode);
    }
}
