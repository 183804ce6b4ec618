using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The app with a small store quota per wiki, so a test fills it with a few values.</summary>
public sealed class SmallQuotaAppFactory : AppFactory
{
    public const int QuotaBytes = 200_000;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Sessions:StoreQuotaBytesPerWiki", QuotaBytes.ToString())];
}

/// <summary>What a wiki hears from the store when what it sends is not something the store keeps (docs/mediawiki.md).</summary>
public sealed class StoreLimitsApiTests(SmallQuotaAppFactory app) : IClassFixture<SmallQuotaAppFactory>
{
    private static string Key(string wiki, string rest) => "/sessions/v1/" + Uri.EscapeDataString($"{wiki}:{rest}");

    private static ByteArrayContent Session(string metadataJson) =>
        new(Encoding.UTF8.GetBytes("JSON.aG1hYw==.{\"data\":{\"wsToken\":\"x\"},\"metadata\":" + metadataJson + "}"));

    private static async Task<string?> TitleAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString();

    [Fact]
    public async Task A_user_name_with_a_line_break_is_a_400_that_says_so_and_the_user_is_never_created()
    {
        var wiki = app.Wiki("testwiki");
        var key = Key("testwiki", "MWSession:ctrl00000000000000000000000001");

        var response = await wiki.PutAsync(key, Session("""{"userId":3,"userName":"Mallory\n2026-12-02 [WRN] forged","expires":4102444800}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("'metadata.userName' holds a control character (U+000A)", await TitleAsync(response));
        Assert.Equal(HttpStatusCode.NotFound, (await wiki.GetAsync(key)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await app.Staff("developer").GetAsync("/api/v1/admin/users/Mallory")).StatusCode);
        Assert.DoesNotContain("Mallory", await app.Staff("developer").GetStringAsync("/api/v1/admin/users?prefix=Mall"));
    }

    [Fact]
    public async Task A_lone_surrogate_in_the_metadata_is_a_400_that_says_so_not_a_503()
    {
        var wiki = app.Wiki("testwiki");
        var key = Key("testwiki", "MWSession:surr00000000000000000000000001");

        var response = await wiki.PutAsync(key, Session("""{"userId":3,"userName":"Eve\ud800","expires":4102444800}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("lone surrogate", await TitleAsync(response));
        Assert.Equal(HttpStatusCode.NotFound, (await wiki.GetAsync(key)).StatusCode);
    }

    [Fact]
    public async Task A_wiki_past_its_quota_gets_a_507_a_value_over_the_maximum_a_413_and_both_are_counted_on_the_metrics()
    {
        var wiki = app.Wiki("test2wiki");
        var value = new byte[60 * 1024];
        for (var i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await wiki.PutAsync(Key("test2wiki", $"quota:{i}"), new ByteArrayContent(value))).StatusCode);

        var full = await wiki.PutAsync(Key("test2wiki", "quota:3"), new ByteArrayContent(value));
        var big = await wiki.PutAsync(Key("test2wiki", "quota:big"), new ByteArrayContent(new byte[64 * 1024 + 1]));

        Assert.Equal(HttpStatusCode.InsufficientStorage, full.StatusCode);
        Assert.Contains($"past its quota of {SmallQuotaAppFactory.QuotaBytes:N0} bytes; nothing was written", await TitleAsync(full));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await wiki.GetAsync(Key("test2wiki", "quota:3"))).StatusCode);
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        Assert.Matches("""wikisessions_mediawiki_refused_writes_total\{[^}]*wiki="test2wiki"[^}]*\} 2""", metrics);

        Assert.Equal(HttpStatusCode.NoContent, (await wiki.DeleteAsync(Key("test2wiki", "quota:0"))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await wiki.PutAsync(Key("test2wiki", "quota:3"), new ByteArrayContent(value))).StatusCode);
    }
}
