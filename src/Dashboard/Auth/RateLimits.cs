using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace WikiSessions.Dashboard.Auth;

/// <summary>Requests per client address, bound from the <c>RateLimits</c> configuration section.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Login form posts per address per <see cref="LoginWindow"/>.</summary>
    public int LoginPermitLimit { get; set; } = 10;
    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Admin API requests (staff tokens and cookies) per address per <see cref="AdminWindow"/>.</summary>
    public int AdminPermitLimit { get; set; } = 300;
    public TimeSpan AdminWindow { get; set; } = TimeSpan.FromMinutes(1);
}

public static class RateLimits
{
    public const string Login = "staff-login";
    public const string Admin = "admin-api";

    public static IServiceCollection AddStaffRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimits")
            .Validate(o => o.LoginPermitLimit > 0 && o.AdminPermitLimit > 0 && o.LoginWindow > TimeSpan.Zero && o.AdminWindow > TimeSpan.Zero,
                "RateLimits: every limit and window must be positive.")
            .ValidateOnStart();
        var limits = configuration.GetSection("RateLimits").Get<RateLimitOptions>() ?? new RateLimitOptions();
        services.AddRateLimiter(o =>
        {
            o.AddPolicy(Login, http => ByAddress(http, limits.LoginPermitLimit, limits.LoginWindow));
            o.AddPolicy(Admin, http => ByAddress(http, limits.AdminPermitLimit, limits.AdminWindow));
            o.OnRejected = RejectAsync;
        });
        return services;
    }

    private static RateLimitPartition<string> ByAddress(HttpContext http, int permits, TimeSpan window) =>
        RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
            _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 });

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromMinutes(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var what = http.Request.Path.StartsWithSegments("/account") ? "login attempts" : "requests";
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = $"Too many {what} from your address. Wait {seconds} seconds, then try again.",
            },
        });
    }
}
