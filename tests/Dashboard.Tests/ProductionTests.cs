using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using WikiSessions.Dashboard.Tests.Reliability;
using WikiSessions.Testing;

namespace WikiSessions.Dashboard.Tests;

/// <summary>The app in the Production environment, on a store whose demo credentials were rotated.</summary>
public sealed class ProductionAppFactory : AppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        SeededStore.RotateCredentialsAsync(StorePath).GetAwaiter().GetResult();
        builder.UseEnvironment(Environments.Production);
    }
}

/// <summary>The app in the Production environment, on the seeded store with its public demo credentials.</summary>
public sealed class DemoCredentialsInProductionFactory : AppFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseEnvironment(Environments.Production);
    }
}

public sealed class ProductionTests(ProductionAppFactory app) : IClassFixture<ProductionAppFactory>
{
    private static readonly string LaunchSettings = Path.Combine(SeededStore.SeedFolder, "..", "src", "Dashboard", "Properties", "launchSettings.json");

    /// <summary>The variables of the launch profile <c>dotnet run</c> uses; they override the shell's.</summary>
    private static Dictionary<string, string?> WithLaunchProfile(Dictionary<string, string?> shell)
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(LaunchSettings));
        var merged = new Dictionary<string, string?>(shell, StringComparer.OrdinalIgnoreCase);
        foreach (var profile in settings.RootElement.GetProperty("profiles").EnumerateObject())
            if (profile.Value.TryGetProperty("environmentVariables", out var variables))
                foreach (var variable in variables.EnumerateObject()) merged[variable.Name] = variable.Value.GetString();
        return merged;
    }

    [Fact]
    public void Dotnet_run_with_no_environment_named_runs_as_development_and_a_named_environment_wins_over_the_launch_profile()
    {
        Assert.Equal(Environments.Development, DashboardSetup.EnvironmentOf(WithLaunchProfile([]), []));
        Assert.Equal(Environments.Production, DashboardSetup.EnvironmentOf(WithLaunchProfile(new() { ["ASPNETCORE_ENVIRONMENT"] = "Production" }), []));
        Assert.Equal(Environments.Production, DashboardSetup.EnvironmentOf(WithLaunchProfile(new() { ["DOTNET_ENVIRONMENT"] = "Production" }), []));
        Assert.Equal(Environments.Production, DashboardSetup.EnvironmentOf(WithLaunchProfile([]), ["--environment", "Production"]));
        // Without the launch profile (a published app, a container), nothing named is Production, as the framework has it.
        Assert.Equal(Environments.Production, DashboardSetup.EnvironmentOf(new Dictionary<string, string?>(), []));
    }

    [Fact]
    public async Task A_production_start_through_the_launch_profile_stays_production_and_refuses_the_demo_credentials()
    {
        var store = await SeededStore.CopyAsync("production");
        try
        {
            // The shell names Production the usual way and nothing else; the launch profile adds its variables on top.
            var variables = WithLaunchProfile(new() { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["DOTNET_ENVIRONMENT"] = "" });
            await using var process = AppProcess.Start(store, variables.Select(v => new KeyValuePair<string, string>(v.Key, v.Value ?? "")));
            var exit = await process.WaitForExitAsync(TimeSpan.FromSeconds(90));

            Assert.NotEqual(0, exit);
            Assert.Contains("The Production environment refuses to start with the demo credentials", process.Output);
        }
        finally
        {
            SeededStore.Delete(store);
        }
    }

    [Fact]
    public async Task A_production_start_in_process_refuses_the_demo_credentials()
    {
        await using var factory = new DemoCredentialsInProductionFactory();
        var refused = Record.Exception(() => factory.CreateClient());
        Assert.NotNull(refused);
        Assert.Contains("refuses to start with the demo credentials", refused.ToString());
        Assert.Contains("rotate-credentials", refused.ToString());
    }

    [Theory]
    [InlineData("/login")]
    [InlineData("/")]
    public async Task The_console_over_plain_http_in_production_answers_400_saying_to_use_https_or_configure_the_proxy(string path)
    {
        var plain = app.CreateClient(new() { BaseAddress = new Uri("http://localhost"), AllowAutoRedirect = false });
        var refused = await plain.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var title = (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString();
        Assert.Contains("HTTPS", title);
        Assert.Contains("ForwardedHeaders:KnownProxies", title);
    }

    [Fact]
    public async Task Over_https_the_production_console_serves_its_login_and_machines_keep_plain_http()
    {
        var secure = app.CreateClient(new() { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.OK, (await secure.GetAsync("/login")).StatusCode);
        var plain = app.CreateClient(new() { BaseAddress = new Uri("http://localhost"), AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await plain.GetAsync("/api/v1/admin/wikis")).StatusCode);
    }
}
