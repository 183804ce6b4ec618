using System.Net;
using System.Text;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>CentralAuth's farm-wide keys over the Kask protocol, with keys as PHP's rawurlencode() puts them in the URL.</summary>
public sealed class CentralAuthStoreApiTests(LoopbackAppFactory app) : IClassFixture<LoopbackAppFactory>
{
    /// <summary>PHP's rawurlencode(): everything but A-Z a-z 0-9 - _ . ~ as %XX of its UTF-8 bytes (Uri.EscapeDataString does the same).</summary>
    private static string RawUrlEncode(string key) => Uri.EscapeDataString(key);

    [Theory]
    [InlineData("centralauth:session:0123456789abcdef0123456789abcdef")]
    [InlineData("centralauth:central-login-start-token:a/b")]
    [InlineData("centralauth:central-login-start-token:a%2Fb")]
    [InlineData("centralauth:centralautologin-token:t%3Ax y+é:enwiki")]
    [InlineData("enwiki:MWSession:a/b%25c d?e#f")]
    public async Task A_key_round_trips_whatever_rawurlencode_makes_of_it_and_each_key_is_its_own(string key)
    {
        using var enwiki = app.Loopback(LoopbackAppFactory.WikiKey("enwiki"));
        var url = "/sessions/v1/" + RawUrlEncode(key);
        var body = Encoding.UTF8.GetBytes("PHP..s:3:\"one\";");

        var written = await enwiki.PostAsync(url, new ByteArrayContent(body));
        Assert.True(written.StatusCode is HttpStatusCode.Created or HttpStatusCode.NoContent, $"{(int)written.StatusCode} {await written.Content.ReadAsStringAsync()}");
        Assert.Equal(body, await enwiki.GetByteArrayAsync(url));

        // A key that differs only in what it holds encoded is another key: "a/b" and "a%2Fb" never meet.
        var sibling = "/sessions/v1/" + RawUrlEncode(key.Contains('/') ? key.Replace("/", "%2F") : key.Replace("%2F", "/"));
        if (sibling != url)
        {
            await enwiki.DeleteAsync(sibling);
            Assert.Equal(body, await enwiki.GetByteArrayAsync(url));
        }
        Assert.Equal(HttpStatusCode.NoContent, (await enwiki.DeleteAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await enwiki.GetAsync(url)).StatusCode);
    }

    [Fact]
    public async Task A_central_session_written_by_one_wiki_is_read_and_rewritten_by_another_and_a_local_key_is_not()
    {
        using var enwiki = app.Loopback(LoopbackAppFactory.WikiKey("enwiki"));
        using var dewiki = app.Loopback(LoopbackAppFactory.WikiKey("dewiki"));
        var central = "/sessions/v1/" + RawUrlEncode("centralauth:session:fedcba9876543210fedcba9876543210");
        var body = Encoding.UTF8.GetBytes("PHP..a:1:{s:4:\"user\";s:3:\"Ada\";}");

        Assert.Equal(HttpStatusCode.Created, (await enwiki.PostAsync(central, new ByteArrayContent(body))).StatusCode);
        Assert.Equal(body, await dewiki.GetByteArrayAsync(central));
        Assert.Equal(HttpStatusCode.NoContent, (await dewiki.PostAsync(central, new ByteArrayContent(body))).StatusCode);

        var local = "/sessions/v1/" + RawUrlEncode("enwiki:MWSession:fedcba9876543210");
        Assert.Equal(HttpStatusCode.Forbidden, (await dewiki.PostAsync(local, new ByteArrayContent(body))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await enwiki.GetAsync(local)).StatusCode);
    }
}
