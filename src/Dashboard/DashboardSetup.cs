using Microsoft.EntityFrameworkCore;
using Serilog;
using WikiSessions.Core;
using WikiSessions.Core.Data;
using WikiSessions.Core.Seeding;
using WikiSessions.Dashboard.Api;
using WikiSessions.Dashboard.Auth;
using WikiSessions.Dashboard.Components;
using WikiSessions.Dashboard.Farm;
using WikiSessions.Dashboard.Hubs;
using WikiSessions.Dashboard.Operations;

namespace WikiSessions.Dashboard;

public static class DashboardSetup
{
    /// <summary>
    /// Set by the launch profile for <c>dotnet run</c>: the environment when none is named. A launch profile's variables
    /// override the shell's, so the profile must never set ASPNETCORE_ENVIRONMENT itself: a Production start would run
    /// as Development, on the public demo credentials.
    /// </summary>
    public const string DefaultEnvironmentVariable = "WIKISESSIONS_DEFAULT_ENVIRONMENT";

    /// <summary>The host's options: the environment named on the command line or in DOTNET_/ASPNETCORE_ENVIRONMENT, else the launch profile's default.</summary>
    public static WebApplicationOptions StartOptions(string[] args)
    {
        var variables = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.OrdinalIgnoreCase);
        return new WebApplicationOptions { Args = args, EnvironmentName = NamedEnvironment(variables, args) is null ? DefaultEnvironment(variables) : null };
    }

    /// <summary>The environment a start with these variables and arguments runs in.</summary>
    public static string EnvironmentOf(IReadOnlyDictionary<string, string?> variables, string[] args) =>
        NamedEnvironment(variables, args) ?? DefaultEnvironment(variables) ?? Environments.Production;

    /// <summary>The environment named as the host reads it: the command line first, then DOTNET_, then ASPNETCORE_ (the web host adds DOTNET_ last).</summary>
    private static string? NamedEnvironment(IReadOnlyDictionary<string, string?> variables, string[] args) =>
        new[]
        {
            new ConfigurationBuilder().AddCommandLine(args).Build()[HostDefaults.EnvironmentKey],
            variables.GetValueOrDefault("DOTNET_ENVIRONMENT"),
            variables.GetValueOrDefault("ASPNETCORE_ENVIRONMENT"),
        }.FirstOrDefault(e => !string.IsNullOrWhiteSpace(e));

    private static string? DefaultEnvironment(IReadOnlyDictionary<string, string?> variables) =>
        variables.GetValueOrDefault(DefaultEnvironmentVariable) is { Length: > 0 } fallback ? fallback : null;

    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LogLineCounter>();
        builder.Services.AddSingleton<Serilog.Core.ILogEventSink>(sp => sp.GetRequiredService<LogLineCounter>());
        // Each app its own logger, not the static one: two apps in one process (the tests) must not write to each other's sinks.
        builder.Services.AddSerilog((services, logger) =>
        {
            // ReadFrom.Services adds any sink registered in the container (the tests capture every line this way).
            logger.ReadFrom.Configuration(builder.Configuration).ReadFrom.Services(services).Enrich.FromLogContext().Enrich.With<LogRedaction>().WriteTo.Console();
            if (builder.Configuration["Serilog:Seq:ServerUrl"] is { Length: > 0 } seq)
                logger.WriteTo.Seq(seq);
        }, preserveStaticLogger: true);

        var dataFolder = Path.Combine(builder.Environment.ContentRootPath, builder.Configuration["Database:DataFolder"] ?? "App_Data");
        builder.Services.AddCore(builder.Configuration, dataFolder);
        builder.AddEdge();
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", timeout: StoreHealthCheck.Timeout * 2);
        builder.Services.AddStaffAndWikiAuth(builder.Configuration);
        builder.Services.AddStaffRateLimits(builder.Configuration);
        builder.Services.AddAntiforgery();
        builder.Services.AddApi();
        builder.Services.AddLiveHub(builder.Configuration);
        builder.Services.AddDemoFarm(builder.Configuration);
        builder.Services.AddDashboardUi();
        builder.Services.AddOperations();
        builder.Services.AddOptions<RequestLogOptions>().BindConfiguration("RequestLog").ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RequestLog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RequestLog>());
        return builder;
    }

    /// <summary>
    /// Migrates and seeds the store, then runs a command-line verb if <paramref name="args"/> names one.
    /// Refuses to serve on the demo credentials in Production.
    /// </summary>
    /// <returns>False when a command ran and the app should exit instead of serving.</returns>
    public static async Task<bool> PrepareAsync(this WebApplication app, string[] args)
    {
        var seedFolder = SeedLoader.FindSeedFolder(app.Configuration["Seed:Folder"], app.Environment.ContentRootPath, AppContext.BaseDirectory);
        var dbFactory = app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>();
        await StoreSetup.MigrateAndSeedAsync(dbFactory, seedFolder, TimeProvider.System, app.Logger);
        if (await Commands.TryRunAsync(app, args)) return false;
        if (app.Environment.IsProduction())
            await DemoCredentialGuard.RefuseDemoCredentialsAsync(dbFactory, seedFolder);
        else
            app.Lifetime.ApplicationStarted.Register(() => SayHowToLogIn(app, seedFolder));
        return true;
    }

    public static WebApplication UseDashboard(this WebApplication app)
    {
        app.UseEdge();
        var requestLog = app.Services.GetRequiredService<RequestLog>();
        app.Use(requestLog.InvokeAsync);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Before authentication: a flood of guessed tokens is turned away before any of them is looked up.
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        app.MapApi();
        app.MapLiveHub();
        app.MapOperations();
        app.MapDashboardUi();
        return app;
    }

    /// <summary>The default run prints where to log in and with which demo accounts (their passwords are public, in the repository).</summary>
    private static void SayHowToLogIn(WebApplication app, string seedFolder)
    {
        var staff = DemoCredentials.Read(seedFolder).Staff;
        var address = app.Urls.FirstOrDefault() ?? "http://localhost:5080";
        app.Logger.LogInformation("Dashboard at {Address}/login. Demo staff accounts: {Accounts} (from seed-data/demo-credentials.json)",
            address.TrimEnd('/'), string.Join(", ", staff.Select(s => $"{s.Name} / {s.Password} ({s.Role})")));
    }
}
