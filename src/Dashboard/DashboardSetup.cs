using Microsoft.EntityFrameworkCore;
using Serilog;
using Serilog.Events;
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
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LogLineCounter>();
        builder.Services.AddSingleton<Serilog.Core.ILogEventSink>(sp => sp.GetRequiredService<LogLineCounter>());
        builder.Services.AddSerilog((services, logger) =>
        {
            // ReadFrom.Services adds any sink registered in the container (the tests capture every line this way).
            logger.ReadFrom.Configuration(builder.Configuration).ReadFrom.Services(services).Enrich.FromLogContext().Enrich.With<LogRedaction>().WriteTo.Console();
            if (builder.Configuration["Serilog:Seq:ServerUrl"] is { Length: > 0 } seq)
                logger.WriteTo.Seq(seq);
        });

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
        // Log the route pattern, never the raw path: a session ID in a URL is a credential.
        app.UseSerilogRequestLogging(o =>
        {
            o.GetMessageTemplateProperties = (http, path, elapsed, status) =>
            [
                new("RequestMethod", new ScalarValue(http.Request.Method)),
                new("RequestPath", new ScalarValue((http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)")),
                new("StatusCode", new ScalarValue(status)),
                new("Elapsed", new ScalarValue(elapsed)),
            ];
            // Every wiki request passes here: routine successes are Debug, so the log stays bounded under farm traffic.
            // A 503 is a store failure or an unexpected error, each already logged once per kind per interval where it
            // happened; a line per failing request here would bring back the unbounded log of an outage.
            o.GetLevel = (http, elapsed, ex) =>
                http.Response.StatusCode == StatusCodes.Status503ServiceUnavailable ? LogEventLevel.Debug
                // A 507 is a wiki past its store quota: the wiki's doing, counted on the metrics, not the service failing.
                : ex is not null || http.Response.StatusCode >= 500 && http.Response.StatusCode != StatusCodes.Status507InsufficientStorage ? LogEventLevel.Error
                : http.Response.StatusCode >= 400 || elapsed > 1000 ? LogEventLevel.Information
                : LogEventLevel.Debug;
        });
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
