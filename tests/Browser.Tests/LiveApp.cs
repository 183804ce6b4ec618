using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using WikiSessions.Core.Seeding;

namespace WikiSessions.Browser.Tests;

/// <summary>
/// The real app on Kestrel at 127.0.0.1 (a free port) on a temporary SQLite file, the demo farm off, and
/// Debian's Chromium driven by Playwright. One per test collection; each test opens its own browser context.
/// </summary>
public class LiveApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"wikisessions-browser-{Guid.NewGuid():N}.db");
    private IPlaywright? _playwright;

    public static DemoCredentials Credentials { get; } = DemoCredentials.Read(SeedLoader.FindSeedFolder(null, AppContext.BaseDirectory));
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string BaseUrl { get; private set; } = "";
    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Requests per second of the demo farm; 0 keeps it off so tests own their traffic.</summary>
    protected virtual int DemoFarmRate => 0;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("ConnectionStrings:Sessions", $"Data Source={_path}");
        builder.UseSetting("DemoFarm:Enabled", DemoFarmRate > 0 ? "true" : "false");
        // Every browser of the tests logs in from 127.0.0.1.
        builder.UseSetting("RateLimits:LoginPermitLimit", "10000");
        builder.UseSetting("RateLimits:AdminPermitLimit", "100000");
        if (DemoFarmRate > 0) builder.UseSetting("DemoFarm:RequestsPerSecond", DemoFarmRate.ToString());
    }

    public async Task InitializeAsync()
    {
        UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        StartServer();
        BaseUrl = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        // Every expectation waits as long as a user would (Playwright's default is 5 s, short for a busy machine).
        Assertions.SetDefaultExpectTimeout(UserWait);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    /// <summary>A fresh browser context (its own cookies) and page, logged in as the seeded staff account of a role.</summary>
    /// <remarks>
    /// Every wait is for what the user would see. A Blazor Server page keeps its circuit open and may hold the
    /// "load" event back while it starts, so no wait here is for a load state or for network idleness.
    /// </remarks>
    public async Task<IPage> LogInAsync(string role, IBrowserContext? context = null)
    {
        context ??= await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, ViewportSize = new() { Width = 1440, Height = 900 } });
        var page = await context.NewPageAsync();
        var staff = Credentials.Staff.Single(s => s.Role == role);
        await page.GotoAsync("/login", Committed);
        await page.Locator("#name").FillAsync(staff.Name);
        await page.Locator("#password").FillAsync(staff.Password);
        await page.Locator("#login-submit").ClickAsync();
        // The app bar names the staff member once the login has landed on the overview.
        await Assertions.Expect(page.Locator("#staff-name")).ToContainTextAsync(staff.Name, new() { Timeout = UserWait });
        await WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>Goes to a page and waits until it is live (the circuit is connected), so typing and clicking reach it.</summary>
    public static async Task OpenAsync(IPage page, string path)
    {
        await page.GotoAsync(path, Committed);
        await WaitForCircuitAsync(page);
    }

    /// <summary>Navigation returns once the server's answer starts arriving; the tests then wait for content.</summary>
    public static PageGotoOptions Committed => new() { WaitUntil = WaitUntilState.Commit };

    /// <summary>How long a test waits for the page to show what it expects: generous, since a loaded machine is slow, not wrong.</summary>
    public const float UserWait = 30_000;

    private static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("#circuit-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = UserWait });

    /// <summary>An HTTP client authenticated as a wiki server, as the wikis of the farm call the API.</summary>
    public HttpClient WikiServer(string wiki)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Credentials.WikiKeys[wiki]);
        return client;
    }

    public static object Client => new { ip = "198.51.100.7", userAgent = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", secure = true };

    /// <summary>Logs a user in on a wiki through the API; returns the cookies set, per host.</summary>
    public async Task<Dictionary<string, Dictionary<string, string>>> LoginThroughApiAsync(string wiki, string user)
    {
        var response = await WikiServer(wiki).PostAsJsonAsync($"/api/v1/wikis/{wiki}/login", new { user, provider = "cookie", remember = false, client = Client }, Json);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Json);
        return body.GetProperty("setCookies").EnumerateArray()
            .Where(c => c.GetProperty("value").GetString() is { Length: > 0 })
            .GroupBy(c => c.GetProperty("host").GetString()!)
            .ToDictionary(g => g.Key, g => g.ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("value").GetString()!));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" }) File.Delete(_path + suffix);
    }

    /// <summary>
    /// Where screenshots of the main pages go: tests/results/screenshots, or the folder named by
    /// WIKISESSIONS_SCREENSHOTS (set it to docs/screenshots to retake the README's pictures).
    /// </summary>
    public static string ScreenshotPath(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dashboard.sln"))) dir = dir.Parent;
        var root = dir?.FullName ?? Path.GetTempPath();
        var folder = Environment.GetEnvironmentVariable("WIKISESSIONS_SCREENSHOTS") is { Length: > 0 } chosen
            ? Path.Combine(root, chosen)
            : Path.Combine(root, "tests", "results", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }
}

[CollectionDefinition(Name)]
public sealed class LiveAppCollection : ICollectionFixture<LiveApp>
{
    public const string Name = "Live app";
}
