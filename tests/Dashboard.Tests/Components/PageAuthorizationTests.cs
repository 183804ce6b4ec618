using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>The pages' [Authorize] attributes and the login endpoints, through the real app (bUnit does not enforce them).</summary>
public partial class PageAuthorizationTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task An_anonymous_visitor_is_sent_to_the_login_page_and_back_after_logging_in()
    {
        var client = Client();
        var page = await client.GetAsync("/sessions");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/login", page.Headers.Location!.PathAndQuery);

        var login = await LoginAsync(client, "support", returnUrl: "/sessions");
        Assert.Equal("/sessions", login.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/sessions")).StatusCode);
    }

    [Theory]
    [InlineData("support", "/actions", false)]
    [InlineData("support", "/traces", false)]
    [InlineData("support", "/users", true)]
    [InlineData("developer", "/replays", true)]
    [InlineData("developer", "/actions", false)]
    [InlineData("steward", "/actions", true)]
    [InlineData("support", "/staff", false)]
    [InlineData("developer", "/staff", false)]
    [InlineData("steward", "/staff", true)]
    public async Task Each_page_opens_only_for_the_roles_it_is_meant_for(string role, string path, bool allowed)
    {
        var client = Client();
        await LoginAsync(client, role);
        var response = await client.GetAsync(path);
        if (allowed)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/denied", response.Headers.Location!.PathAndQuery);
        }
    }

    [Fact]
    public async Task A_wrong_password_goes_back_to_the_login_page_with_an_error()
    {
        var client = Client();
        var response = await LoginAsync(client, "steward", password: "wrong");
        Assert.StartsWith("/login?error=1", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Theory]
    [InlineData("//evil.example/")]
    [InlineData("https://evil.example/")]
    [InlineData("/\\evil.example")]
    public async Task Login_only_returns_to_pages_of_this_site(string returnUrl)
    {
        var response = await LoginAsync(Client(), "steward", returnUrl: returnUrl);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Logout_ends_the_dashboard_login()
    {
        var client = Client();
        await LoginAsync(client, "steward");
        var overview = await client.GetStringAsync("/");
        var logout = await client.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = Token(overview) }));
        Assert.Equal("/login", logout.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    private HttpClient Client() => app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string role, string? password = null, string returnUrl = "/")
    {
        var staff = AppFactory.Credentials.Staff.Single(s => s.Role == role);
        var form = await client.GetStringAsync("/login");
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = staff.Name, ["password"] = password ?? staff.Password, ["returnUrl"] = returnUrl, ["__RequestVerificationToken"] = Token(form),
        }));
    }

    private static string Token(string html) => TokenPattern().Match(html).Groups[1].Value;

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
