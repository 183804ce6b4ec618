using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Admin;

/// <summary>
/// Runs the stewards' bulk jobs, batch by batch. The jobs live in the store, so after a restart it carries on with any
/// job still running; a failed pass (the store away, say) is logged and the next one carries on from the last batch.
/// </summary>
public sealed class BulkJobRunner(BulkJobs jobs, IOptions<SessionOptions> options, TimeProvider time, ILogger<BulkJobRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Once at start (a job a restart interrupted), then whenever a job starts here; the store is not polled in between.
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    foreach (var id in await jobs.RunningAsync(stoppingToken))
                        while (await jobs.StepAsync(id, stoppingToken))
                        {
                        }
                    await jobs.WaitForWorkAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError(ex, "A bulk job pass failed; the next pass carries on from its last batch");
                    await Task.Delay(options.Value.BulkPollInterval, time, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
