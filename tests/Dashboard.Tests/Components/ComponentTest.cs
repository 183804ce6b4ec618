using Bunit;
using Bunit.TestDoubles;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using MudBlazor.Services;
using WikiSessions.Core;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Seeding;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Auth;
using WikiSessions.Dashboard.Components.Shared;
using System.Security.Claims;
using WikiSessions.Core.Staff;

using WikiSessions.Testing;

namespace WikiSessions.Dashboard.Tests.Components;

/// <summary>
/// A bUnit context with MudBlazor and the real engine on its own copy of the seeded farm (a SQLite file).
/// The farm is seeded once per run into a template file that each test copies.
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    public const string Alice = "Sandbox Alice";
    public const string Bob = "Sandbox Bob";
    public const string Carol = "Sandbox Carol";
    public const string CentralHost = "login.wikimedia.org";
    public static readonly ClientInfo Browser = new("198.51.100.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", Secure: true);

    private string _path = "";

    // bUnit waits a second by default: a busy machine renders slower than that, and the wait ends as soon as the
    // condition holds, so a generous bound costs a passing test nothing.
    static ComponentTest() => BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(30);

    protected BunitContext Ctx { get; } = new();
    // A fixed clock an hour after the seeding: what a page shows must not depend on the day the tests run.
    protected FakeTimeProvider Time { get; } = new(SeededStore.SeededAt.AddHours(1));
    protected BunitAuthorizationContext Auth { get; private set; } = default!;

    protected SessionService Sessions => Ctx.Services.GetRequiredService<SessionService>();
    protected LogoutService Logouts => Ctx.Services.GetRequiredService<LogoutService>();
    protected UserQueries UserQueries => Ctx.Services.GetRequiredService<UserQueries>();
    protected TraceQueries TraceQueries => Ctx.Services.GetRequiredService<TraceQueries>();
    protected FarmQueries FarmQueries => Ctx.Services.GetRequiredService<FarmQueries>();
    protected AdminService Admin => Ctx.Services.GetRequiredService<AdminService>();
    protected SessionFeed Feed => Ctx.Services.GetRequiredService<SessionFeed>();

    public async Task InitializeAsync()
    {
        _path = await SeededStore.CopyAsync("ui");
        Ctx.JSInterop.Mode = JSRuntimeMode.Loose;
        Ctx.Services.AddMudServices(o => o.SnackbarConfiguration.ShowTransitionDuration = o.SnackbarConfiguration.HideTransitionDuration = 0);
        Ctx.Services.AddSingleton<TimeProvider>(Time);
        Ctx.Services.AddSingleton<IWebHostEnvironment>(new TestEnvironment());
        Ctx.Services.AddLogging();
        var configuration = SeededStore.Configuration(_path);
        Ctx.Services.AddSingleton(configuration);
        Ctx.Services.AddCore(configuration, Path.GetTempPath());
        Ctx.Services.AddScoped<StaffActions>();
        Auth = Ctx.AddAuthorization();
        await SignInAsync("steward");
    }

    /// <summary>The token of the test's staff session, as the login cookie holds it.</summary>
    protected string StaffSessionToken { get; private set; } = "";

    /// <summary>
    /// Signs the test in as the seeded staff account of a role, with a real staff session in the store (actions check it
    /// when they run) and the policies that role satisfies in the app.
    /// </summary>
    protected async Task SignInAsync(string role)
    {
        // The test's own services are not touched here: bUnit takes no registrations after the first is resolved.
        var services = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(Time);
        services.AddCore(SeededStore.Configuration(_path), Path.GetTempPath());
        await using var provider = services.BuildServiceProvider();
        StaffAccount account;
        await using (var db = await provider.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync())
            account = await db.Staff.AsNoTracking().SingleAsync(s => s.Name == role);
        StaffSessionToken = await provider.GetRequiredService<StaffSessions>().StartAsync(account.Id, account.Name, account.Stamp);
        Auth.SetAuthorized(account.Name);
        Auth.SetRoles(role);
        Auth.SetPolicies(role switch
        {
            "steward" => [Schemes.AnyStaff, Schemes.DeveloperOrSteward, Schemes.Steward],
            "developer" => [Schemes.AnyStaff, Schemes.DeveloperOrSteward],
            _ => [Schemes.AnyStaff],
        });
        // Last: bUnit's role and policy setters rebuild the user without earlier claims.
        Auth.SetClaims(new Claim(Schemes.SessionClaim, StaffSessionToken));
    }

    protected Task<LoginResult> LoginAsync(string user = Alice, string wiki = "enwiki", IReadOnlyDictionary<string, string>? centralCookies = null) =>
        Sessions.LoginAsync(new LoginRequest(wiki, user, ProviderKind.Cookie, false, null, null, Browser, CentralCookies: centralCookies));

    protected Task<ResolveResult> ResolveAsync(string wiki, IReadOnlyDictionary<string, string> cookies, IReadOnlyDictionary<string, string>? centralCookies = null) =>
        Sessions.ResolveAsync(new ResolveRequest(wiki, cookies, centralCookies, null, Browser));

    /// <summary>The cookies of a response for one host, as a browser would send them back.</summary>
    protected static Dictionary<string, string> CookiesFor(IEnumerable<SetCookie> setCookies, string host) =>
        setCookies.Where(c => c.Host == host && c.Value != "").ToDictionary(c => c.Name, c => c.Value);

    protected async Task<string> HandleOfAsync(string user) => (await UserQueries.UserAsync(user)).ActiveSessions.Single().Handle;

    /// <summary>Logs in on enwiki, logs out with local scope (the broken integration), and lets auto-login bring the user back.</summary>
    protected async Task<string> ResurrectionAsync(string user)
    {
        var login = await LoginAsync(user);
        var logout = await Logouts.LogoutAsync(new LogoutRequest("enwiki", CookiesFor(login.SetCookies, "en.wikipedia.org"),
            CookiesFor(login.SetCookies, CentralHost), LogoutScope.Local, Browser));
        Time.Advance(TimeSpan.FromSeconds(5));
        var back = await ResolveAsync("enwiki", new Dictionary<string, string>(), CookiesFor(login.SetCookies, CentralHost));
        Assert.True(back.AutoLogin);
        return logout.TraceId;
    }

    public async Task DisposeAsync()
    {
        await Ctx.DisposeAsync();
        SeededStore.Delete(_path);
    }

    private sealed class TestEnvironment : IWebHostEnvironment
    {
        public string WebRootPath { get; set; } = "";
        public IFileProvider WebRootFileProvider { get; set; } = new NullFileProvider();
        public string ApplicationName { get; set; } = "WikiSessions.Dashboard";
        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
        public string ContentRootPath { get; set; } = "";
        public string EnvironmentName { get; set; } = Environments.Development;
    }
}
