using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Tests.Api;

/// <summary>The app with an OpenID Connect provider configured; the provider's metadata is given, so nothing is fetched.</summary>
public sealed class OpenIdAppFactory : AppFactory
{
    public const string Authorize = "https://idp.example.org/oauth2/authorize";

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Authentication:OpenIdConnect:Authority", "https://idp.example.org"),
        new("Authentication:OpenIdConnect:ClientId", "wikisessions"),
        new("Authentication:OpenIdConnect:ClientSecret", "test-secret"),
        new("Authentication:OpenIdConnect:Roles:wmf-stewards", "steward"),
    ];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        var metadata = new OpenIdConnectConfiguration { AuthorizationEndpoint = Authorize, Issuer = "https://idp.example.org" };
        builder.ConfigureTestServices(services => services.PostConfigure<OpenIdConnectOptions>(OpenIdStaffLogin.Scheme, o =>
        {
            o.Configuration = metadata;
            o.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(metadata);
        }));
    }
}

public sealed class OpenIdLoginTests(OpenIdAppFactory app) : IClassFixture<OpenIdAppFactory>
{
    [Fact]
    public async Task The_login_page_offers_the_provider_and_sends_the_browser_to_it()
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var page = await client.GetStringAsync("/login");
        var challenge = await client.GetAsync("/account/login/external?returnUrl=%2Fusers");

        Assert.Contains("login-external", page);
        Assert.True(challenge.StatusCode == HttpStatusCode.Redirect, await challenge.Content.ReadAsStringAsync());
        var location = challenge.Headers.Location!.ToString();
        Assert.StartsWith(OpenIdAppFactory.Authorize + "?", location);
        Assert.Contains("client_id=wikisessions", location);
        Assert.Contains("response_type=code", location);
    }

    [Fact]
    public void A_provider_identity_gets_the_highest_mapped_role_and_one_with_none_is_refused()
    {
        var roles = new Dictionary<string, string> { ["wmf-stewards"] = "steward", ["wmf-devs"] = "developer", ["wmf-support"] = "support" };
        static ClaimsPrincipal External(params (string Type, string Value)[] claims) =>
            new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "oidc"));

        var steward = OpenIdStaffLogin.MapToStaff(External(("preferred_username", "Ada"), ("groups", "wmf-support"), ("groups", "wmf-stewards")), "groups", roles);
        var outsider = OpenIdStaffLogin.MapToStaff(External(("preferred_username", "Eve"), ("groups", "marketing")), "groups", roles);

        Assert.Equal(new StaffActorView("Ada", "steward"), new StaffActorView(steward!.Identity!.Name, steward.FindFirstValue(ClaimTypes.Role)));
        Assert.True(steward.HasClaim(c => c.Type == OpenIdStaffLogin.ProviderClaim));
        Assert.Null(outsider);
    }

    private sealed record StaffActorView(string? Name, string? Role);
}

public sealed class LocalLoginOnlyTests(AppFactory app) : IClassFixture<AppFactory>
{
    [Fact]
    public async Task Without_a_provider_the_login_page_offers_only_local_accounts()
    {
        var page = await app.CreateClient().GetStringAsync("/login");
        Assert.DoesNotContain("login-external", page);
        Assert.Contains("login-submit", page);
    }
}
