using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Hubs;

namespace WikiSessions.Dashboard.Tests.Auth;

public sealed class StrictLimitsFactory : AppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [new("RateLimits:LoginPermitLimit", "3"), new("RateLimits:AdminPermitLimit", "5")];
}

public sealed class FastRevalidationFactory : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("StaffLogin:RevalidationInterval", "00:00:01")];
}

public sealed partial class RateLimitTests(StrictLimitsFactory app) : IClassFixture<StrictLimitsFactory>
{
    [Fact]
    public async Task Too_many_login_posts_from_one_address_get_429_with_retry_after_and_words()
    {
        var client = app.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var form = await client.GetStringAsync("/login");
        HttpResponseMessage Post() => client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "steward", ["password"] = "wrong", ["__RequestVerificationToken"] = StaffSessionTests.Token(form),
        })).GetAwaiter().GetResult();
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.Redirect, Post().StatusCode);

        var refused = Post();
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("Too many login attempts from your address. Wait", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Too_many_admin_requests_from_one_address_get_429()
    {
        var client = app.Staff("support");
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/admin/wikis")).StatusCode);
        var refused = await client.GetAsync("/api/v1/admin/wikis");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.StartsWith("Too many requests from your address", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }
}

public sealed partial class StaffSessionTests(FastRevalidationFactory app) : IClassFixture<FastRevalidationFactory>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_cookie_saved_before_logout_is_refused_after_it()
    {
        var (name, password, _) = await AddAccountAsync(StaffRole.Steward);
        var cookies = new CookieContainer();
        var browser = Client(cookies);
        await LoginAsync(browser, name, password);
        var saved = cookies.GetCookieHeader(app.Address);
        Assert.Equal(HttpStatusCode.OK, (await WithCookie(saved).GetAsync("/api/v1/admin/wikis")).StatusCode);

        var overview = await browser.GetStringAsync("/");
        var logout = await browser.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Token(overview) }));
        Assert.Equal("/login", logout.Headers.Location!.OriginalString);

        Assert.Equal(HttpStatusCode.Unauthorized, (await WithCookie(saved).GetAsync("/api/v1/admin/audit")).StatusCode);
        var page = await WithCookie(saved).GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/login", page.Headers.Location!.PathAndQuery);
    }

    [Theory]
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("/\r\n/evil.example/")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("https://evil.example/")]
    public async Task A_login_whose_return_url_leads_off_site_signs_in_and_goes_home(string returnUrl)
    {
        var (name, password, _) = await AddAccountAsync(StaffRole.Support);
        var browser = Client(new CookieContainer());
        var form = await browser.GetStringAsync("/login");
        var login = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["returnUrl"] = returnUrl, ["__RequestVerificationToken"] = Token(form),
        }));

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/", login.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/v1/admin/wikis")).StatusCode);
    }

    public static TheoryData<string> Changes => ["role", "password", "token", "disabled"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_change_of_the_account_ends_its_cookie_and_its_hub_connections(string change)
    {
        var (name, password, token) = await AddAccountAsync(StaffRole.Steward);
        var cookies = new CookieContainer();
        await LoginAsync(Client(cookies), name, password);
        var saved = cookies.GetCookieHeader(app.Address);
        var byCookie = await ConnectAsync(o => o.Cookies = cookies);
        var byToken = await ConnectAsync(o => o.AccessTokenProvider = () => Task.FromResult<string?>(token));

        var directory = app.Services.GetRequiredService<StaffDirectory>();
        Assert.True(change switch
        {
            "role" => await directory.ChangeRoleAsync(name, StaffRole.Support),
            "password" => await directory.ChangePasswordAsync(name, "a brand new password"),
            "token" => await directory.NewTokenAsync(name) is not null,
            _ => await directory.SetDisabledAsync(name, true),
        });

        Assert.Equal(HttpStatusCode.Unauthorized, (await WithCookie(saved).GetAsync("/api/v1/admin/wikis")).StatusCode);
        await byCookie.Closed.WaitAsync(Patience);
        // A password change leaves the API token; every other change ends it too.
        if (change == "password")
        {
            // A pass of the guard over every connection, run here rather than waited for: it keeps the token's.
            Assert.Equal(0, await app.Services.GetRequiredService<StaffConnectionGuard>().CheckAllAsync());
            Assert.Equal(HubConnectionState.Connected, byToken.Connection.State);
        }
        else
        {
            await byToken.Closed.WaitAsync(Patience);
        }
        await byToken.Connection.DisposeAsync();
        await byCookie.Connection.DisposeAsync();
    }

    private async Task<(HubConnection Connection, Task Closed)> ConnectAsync(Action<Microsoft.AspNetCore.Http.Connections.Client.HttpConnectionOptions> configure)
    {
        var connection = new HubConnectionBuilder().WithUrl(new Uri(app.Address, LiveFeed.HubPath), configure).Build();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await connection.StartAsync();
        return (connection, closed.Task);
    }

    private async Task<(string Name, string Password, string Token)> AddAccountAsync(StaffRole role)
    {
        _ = app.Address; // the server starts on its socket before anything asks for its services
        var name = "tester-" + Guid.NewGuid().ToString("N")[..8];
        const string password = "correct horse battery staple";
        var token = await app.Services.GetRequiredService<StaffDirectory>().AddAccountAsync(name, role, password);
        return (name, password, token);
    }

    private HttpClient Client(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = app.Address };

    private HttpClient WithCookie(string cookie)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.Address };
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    private static async Task LoginAsync(HttpClient client, string name, string password)
    {
        var form = await client.GetStringAsync("/login");
        var login = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["returnUrl"] = "/", ["__RequestVerificationToken"] = Token(form),
        }));
        Assert.Equal("/", login.Headers.Location!.OriginalString);
    }

    internal static string Token(string html) => TokenPattern().Match(html).Groups[1].Value;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
