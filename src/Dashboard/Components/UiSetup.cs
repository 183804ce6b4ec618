namespace WikiSessions.Dashboard.Components;

public static class UiSetup
{
    public static IServiceCollection AddDashboardUi(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapDashboardUi(this IEndpointRouteBuilder app) => app;
}
