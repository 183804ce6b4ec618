using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace WikiSessions.Core.Staff;

/// <summary>Once per <see cref="StaffLoginOptions.FailureLogInterval"/>: logs the failed-login summary and deletes old staff sessions.</summary>
public sealed class StaffHousekeeping(
    FailedLoginLog failures, StaffSessions sessions, IOptions<StaffLoginOptions> options, TimeProvider time, ILogger<StaffHousekeeping> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.FailureLogInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                failures.Flush();
                try
                {
                    await sessions.DeleteOldAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(ex, "Deleting old staff sessions failed; the next pass runs in {Interval}", options.Value.FailureLogInterval);
                }
            }
        }
        finally
        {
            failures.Flush();
        }
    }
}
