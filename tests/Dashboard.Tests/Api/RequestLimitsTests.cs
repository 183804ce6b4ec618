using System.Net;
using System.Net.Sockets;
using System.Text;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>Kestrel's limits on a real socket: huge bodies, headers and cookies are a 4xx, and memory stays flat.</summary>
public sealed class RequestLimitsTests(LoopbackAppFactory app) : IClassFixture<LoopbackAppFactory>
{
    [Fact]
    public async Task Huge_bodies_headers_and_cookies_are_refused_and_memory_stays_flat()
    {
        var wiki = app.Loopback(LoopbackAppFactory.WikiKey("enwiki"));
        await wiki.PostAsync("/api/v1/wikis/enwiki/resolve", new StringContent("{}", Encoding.UTF8, "application/json"));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);

        for (var i = 0; i < 20; i++)
        {
            var big = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"reason\":\"" + new string('r', 4 * 1024 * 1024) + "\"}"));
            big.Headers.ContentType = new("application/json");
            var sized = new HttpRequestMessage(HttpMethod.Post, "/api/v1/wikis/enwiki/login") { Content = big };
            sized.Headers.ExpectContinue = true; // the answer comes before the body is sent
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await wiki.SendAsync(sized)).StatusCode);

            var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"cookies\":{\"a\":\"" + new string('c', 3 * 1024 * 1024) + "\"}}")));
            chunked.Headers.ContentType = new("application/json");
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/wikis/enwiki/resolve") { Content = chunked };
            request.Headers.TransferEncodingChunked = true;
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await StatusOrCutAsync(wiki, request));

            var header = new HttpRequestMessage(HttpMethod.Get, "/api/v1/admin/wikis");
            header.Headers.TryAddWithoutValidation("X-Padding", new string('h', 64 * 1024));
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await wiki.SendAsync(header)).StatusCode);

            var cookie = new HttpRequestMessage(HttpMethod.Get, "/login");
            cookie.Headers.TryAddWithoutValidation("Cookie", "wikisessions_staff=" + new string('k', 40 * 1024));
            Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await wiki.SendAsync(cookie)).StatusCode);

            var deep = new StringContent("{\"cookies\":" + new string('[', 200_000) + new string(']', 200_000) + "}", Encoding.UTF8, "application/json");
            Assert.Equal(HttpStatusCode.BadRequest, (await wiki.PostAsync("/api/v1/wikis/enwiki/resolve", deep)).StatusCode);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(after - before < 64 * 1024 * 1024, $"memory grew by {(after - before) / 1024 / 1024} MB over 100 refused requests of megabytes each");
    }

    /// <summary>The answer's status; 413 when the server stopped reading an upload mid-way and closed the connection.</summary>
    private static async Task<HttpStatusCode> StatusOrCutAsync(HttpClient client, HttpRequestMessage request)
    {
        try
        {
            return (await client.SendAsync(request)).StatusCode;
        }
        catch (HttpRequestException ex) when (ex.InnerException is IOException)
        {
            return HttpStatusCode.RequestEntityTooLarge;
        }
    }

    [Fact]
    public async Task A_NUL_or_a_line_break_in_the_request_line_is_a_400()
    {
        foreach (var line in new[] { "GET /api/v1/admin/users/a%00b HTTP/1.1", "GET /api/v1/admin/users/a\rb HTTP/1.1" })
        {
            using var socket = new TcpClient();
            await socket.ConnectAsync(app.Address.Host, app.Address.Port);
            var stream = socket.GetStream();
            await stream.WriteAsync(Encoding.Latin1.GetBytes($"{line}\r\nHost: localhost\r\nAuthorization: Bearer {LoopbackAppFactory.StaffToken("steward")}\r\nConnection: close\r\n\r\n"));
            var answer = await new StreamReader(stream, Encoding.Latin1).ReadLineAsync();
            Assert.StartsWith("HTTP/1.1 4", answer);
        }
    }
}
