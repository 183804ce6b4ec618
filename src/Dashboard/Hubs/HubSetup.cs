using System.Text.Json;
using System.Text.Json.Serialization;
using WikiSessions.Dashboard.Auth;

namespace WikiSessions.Dashboard.Hubs;

public static class HubSetup
{
    /// <summary>Policy of the hub: any staff role, or a wiki server with its key.</summary>
    public const string LiveFeedPolicy = "LiveFeed";

    public static IServiceCollection AddLiveHub(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LiveFeedOptions>().BindConfiguration("LiveFeed").ValidateDataAnnotations().ValidateOnStart();
        var signalR = services.AddSignalR().AddJsonProtocol(o =>
        {
            o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            o.PayloadSerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        });
        // Several app instances share one feed through the Redis backplane: each instance's pump sends its own
        // events to the groups, and Redis delivers them to the connections held by every instance.
        if (configuration["SignalR:Redis"] is { Length: > 0 } redis)
            signalR.AddStackExchangeRedis(redis);

        services.AddAuthorizationBuilder().AddPolicy(LiveFeedPolicy, p => p
            .AddAuthenticationSchemes(Schemes.StaffCookie, Schemes.StaffToken, Schemes.WikiKey)
            .RequireAssertion(c => c.User.HasClaim(k => k.Type == Schemes.WikiClaim) || c.User.IsInRole("steward") || c.User.IsInRole("developer") || c.User.IsInRole("support")));

        services.AddSingleton<StaffConnectionGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<StaffConnectionGuard>());
        services.AddHostedService<CacheEvictions>();
        services.AddSingleton<NoticeBuffers>();
        services.AddSingleton<HubConnections>();
        services.AddHostedService<LiveFeedPump>();
        return services;
    }

    public static IEndpointRouteBuilder MapLiveHub(this IEndpointRouteBuilder app)
    {
        app.MapHub<SessionsHub>(LiveFeed.HubPath).RequireAuthorization(LiveFeedPolicy);
        return app;
    }
}
