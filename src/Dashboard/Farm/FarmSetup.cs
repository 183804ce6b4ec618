using Microsoft.Extensions.Options;
using WikiSessions.Core.Seeding;
using WikiSessions.Dashboard.Components.Replays;

namespace WikiSessions.Dashboard.Farm;

public static class FarmSetup
{
    public static IServiceCollection AddDemoFarm(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DemoFarmOptions>().BindConfiguration("DemoFarm").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ReplayOptions>().BindConfiguration("Replays").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new FarmCatalog(SeedLoader.FindSeedFolder(
            configuration["Seed:Folder"], sp.GetRequiredService<IWebHostEnvironment>().ContentRootPath, AppContext.BaseDirectory)));
        services.AddSingleton<LoopbackAddress>();
        services.AddSingleton<ReplayRunner>();
        services.AddSingleton<IReplayRunner>(sp => sp.GetRequiredService<ReplayRunner>());
        services.AddSingleton<DemoFarm>();
        services.AddHostedService(sp => sp.GetRequiredService<DemoFarm>());
        return services;
    }
}
