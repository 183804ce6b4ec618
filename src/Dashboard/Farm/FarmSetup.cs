namespace WikiSessions.Dashboard.Farm;

public static class FarmSetup
{
    public static IServiceCollection AddDemoFarm(this IServiceCollection services, IConfiguration configuration) => services;
}
