using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using WikiSessions.Core.Seeding;
using WikiSessions.Testing;

namespace WikiSessions.Dashboard.Tests;

/// <summary>
/// The real app on a temporary SQLite file, seeded from seed-data/, with the demo farm off so tests own
/// their traffic. Share one per test class; each test uses its own users or wikis.
/// </summary>
public class AppFactory : WebApplicationFactory<Program>
{
    // A copy of the seeded farm: the app finds its store migrated and seeded, and starts in a moment.
    private readonly string _path = Task.Run(() => SeededStore.CopyAsync("app")).GetAwaiter().GetResult();

    public static DemoCredentials Credentials { get; } = DemoCredentials.Read(SeedLoader.FindSeedFolder(null, AppContext.BaseDirectory));

    /// <summary>The app's SQLite file.</summary>
    protected string StorePath => _path;

    /// <summary>Extra configuration for a derived factory.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Sessions", $"Data Source={_path}");
        builder.UseSetting("DemoFarm:Enabled", "false");
        // Every test client shares one address: the limits of the rate-limit tests are set by their own factory.
        builder.UseSetting("RateLimits:LoginPermitLimit", "10000");
        builder.UseSetting("RateLimits:AdminPermitLimit", "100000");
        foreach (var (key, value) in Settings) builder.UseSetting(key, value);
    }

    /// <summary>A client authenticated as a wiki server with that wiki's key.</summary>
    public HttpClient Wiki(string wiki) => WithBearer(Credentials.WikiKeys[wiki]);

    /// <summary>A client authenticated with the API token of the seeded staff account of a role.</summary>
    public HttpClient Staff(string role) => WithBearer(Credentials.Staff.Single(s => s.Role == role).Token);

    public HttpClient WithBearer(string token)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SeededStore.Delete(_path);
        GC.SuppressFinalize(this);
    }
}
