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

namespace WikiSessions.Dashboard;

public static class DashboardSetup
{
    public static WebApplicationBuilder AddDashboard(this WebApplicationBuilder builder)
    {
        builder.Services.AddSerilog((services, logger) =>
        {
            logger.ReadFrom.Configuration(builder.Configuration).Enrich.FromLogContext().WriteTo.Console();
            if (builder.Configuration["Serilog:Seq:ServerUrl"] is { Length: > 0 } seq)
                logger.WriteTo.Seq(seq);
        });

        var dataFolder = Path.Combine(builder.Environment.ContentRootPath, builder.Configuration["Database:DataFolder"] ?? "App_Data");
        builder.Services.AddCore(builder.Configuration, dataFolder);
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");
        builder.Services.AddStaffAndWikiAuth();
        builder.Services.AddAntiforgery();
        builder.Services.AddApi();
        builder.Services.AddLiveHub(builder.Configuration);
        builder.Services.AddDemoFarm(builder.Configuration);
        builder.Services.AddDashboardUi();
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
        return true;
    }

    public static WebApplication UseDashboard(this WebApplication app)
    {
        // Log the route pattern, never the raw path: a session ID in a URL is a credential.
        app.UseSerilogRequestLogging(o => o.GetMessageTemplateProperties = (http, path, elapsed, status) =>
        [
            new("RequestMethod", new ScalarValue(http.Request.Method)),
            new("RequestPath", new ScalarValue((http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)")),
            new("StatusCode", new ScalarValue(status)),
            new("Elapsed", new ScalarValue(elapsed)),
        ]);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        app.MapApi();
        app.MapLiveHub();
        app.MapDashboardUi();
        return app;
    }
}
