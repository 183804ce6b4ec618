namespace WikiSessions.Dashboard.Hubs;

public static class HubSetup
{
    public static IServiceCollection AddLiveHub(this IServiceCollection services, IConfiguration configuration) => services;

    public static IEndpointRouteBuilder MapLiveHub(this IEndpointRouteBuilder app) => app;
}
