using Microsoft.Extensions.Time.Testing;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Farm;

namespace WikiSessions.Dashboard.Tests.Farm;

public class CookieJarTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Set_cookies_are_sent_back_to_their_own_host_only()
    {
        var jar = new CookieJar(_time);
        jar.Apply([Set("en.wikipedia.org", "enwiki_session", "abc"), Set("login.wikimedia.org", "centralauth_Session", "def")]);

        Assert.Equal(new Dictionary<string, string> { ["enwiki_session"] = "abc" }, jar.For("en.wikipedia.org", overTls: true));
        Assert.Equal("def", jar.For("login.wikimedia.org", overTls: true)["centralauth_Session"]);
        Assert.Empty(jar.For("de.wikipedia.org", overTls: true));
    }

    [Fact]
    public void Secure_cookies_are_withheld_over_plain_http()
    {
        var jar = new CookieJar(_time);
        jar.Apply([Set("en.wikipedia.org", "enwiki_session", "abc", secure: true), Set("en.wikipedia.org", "enwikiUserName", "Tintin", secure: false)]);

        Assert.Equal(2, jar.For("en.wikipedia.org", overTls: true).Count);
        Assert.Equal(["enwikiUserName"], jar.For("en.wikipedia.org", overTls: false).Keys);
    }

    [Fact]
    public void An_empty_value_or_a_past_expiry_deletes_the_cookie()
    {
        var jar = new CookieJar(_time);
        jar.Apply([Set("en.wikipedia.org", "enwiki_session", "abc"), Set("en.wikipedia.org", "enwikiUserID", "7")]);
        jar.Apply([
            new SetCookie("en.wikipedia.org", "enwiki_session", "", DateTimeOffset.UnixEpoch, true, true),
            new SetCookie("en.wikipedia.org", "enwikiUserID", "7", _time.GetUtcNow().AddSeconds(-1), true, true),
        ]);

        Assert.Empty(jar.For("en.wikipedia.org", overTls: true));
    }

    [Fact]
    public void Cookies_stop_being_sent_when_they_expire_unless_the_client_ignores_expiry()
    {
        var careful = new CookieJar(_time);
        var sloppy = new CookieJar(_time) { HonoursExpiry = false };
        SetCookie[] cookies = [Set("en.wikipedia.org", "enwikiToken", "t", expiresAt: _time.GetUtcNow().AddDays(30))];
        careful.Apply(cookies);
        sloppy.Apply(cookies);

        _time.Advance(TimeSpan.FromDays(31));

        Assert.Empty(careful.For("en.wikipedia.org", overTls: true));
        Assert.Equal("t", sloppy.For("en.wikipedia.org", overTls: true)["enwikiToken"]);
    }

    [Fact]
    public void A_client_that_ignores_deletions_keeps_sending_the_cookie()
    {
        var jar = new CookieJar(_time) { HonoursDeletion = false };
        jar.Apply([Set("en.wikipedia.org", "enwiki_session", "abc")]);
        jar.Apply([new SetCookie("en.wikipedia.org", "enwiki_session", "", DateTimeOffset.UnixEpoch, true, true)]);

        Assert.Equal("abc", jar.For("en.wikipedia.org", overTls: true)["enwiki_session"]);
    }

    [Fact]
    public void Closing_the_browser_drops_cookies_without_an_expiry()
    {
        var jar = new CookieJar(_time);
        jar.Apply([Set("en.wikipedia.org", "enwiki_session", "abc"), Set("en.wikipedia.org", "enwikiToken", "t", expiresAt: _time.GetUtcNow().AddDays(30))]);

        jar.CloseBrowser();

        Assert.Equal(["enwikiToken"], jar.For("en.wikipedia.org", overTls: true).Keys);
    }

    private static SetCookie Set(string host, string name, string value, bool secure = true, DateTimeOffset? expiresAt = null) =>
        new(host, name, value, expiresAt, secure, HttpOnly: true);
}
