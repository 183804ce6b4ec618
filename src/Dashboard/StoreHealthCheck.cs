using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WikiSessions.Core.Data;

namespace WikiSessions.Dashboard;

/// <summary>Ready when the store answers a query.</summary>
public sealed class StoreHealthCheck(IDbContextFactory<SessionsDb> dbFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);
            return HealthCheckResult.Healthy($"Store answers; farm epoch {epoch}.");
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The session store does not answer.", ex);
        }
    }
}
