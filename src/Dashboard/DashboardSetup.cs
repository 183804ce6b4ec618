using Microsoft.EntityFrameworkCore;
using Serilog;
using WikiSessions.Core;
using WikiSessions.Core.Data;
using WikiSessions.Core.Seeding;

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
        app.UseSerilogRequestLogging();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready");
        return app;
    }
}
