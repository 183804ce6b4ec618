using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Sessions;

/// <summary>What one sweep did.</summary>
public sealed record SweepResult(int EndedByTime, int EndedByEpoch, int DeletedSessions, int DeletedCentralSessions, int DeletedTraces, int DeletedEvents)
{
    /// <summary>MediaWiki store values deleted: expired, or of a session that ended.</summary>
    public int DeletedValues { get; init; }

    public int Total => EndedByTime + EndedByEpoch + DeletedSessions + DeletedCentralSessions + DeletedTraces + DeletedEvents + DeletedValues;
}

/// <summary>
/// Keeps the store bounded: records the end of idle and invalidated sessions, then deletes what ended
/// longer ago than the retention period, in batches so no statement holds the store for long.
/// </summary>
public sealed class SessionSweeper(
    IDbContextFactory<SessionsDb> dbFactory,
    IOptions<SessionOptions> options,
    MediaWiki.StoreQuota quota,
    CredentialWrites writes,
    TimeProvider time,
    ILogger<SessionSweeper> logger) : BackgroundService
{
    // Batches take any N matching rows, unordered: with no ORDER BY the store stops at the Nth match on an index
    // instead of sorting every candidate (300 ms a batch against a million rows with it).
    /// <summary>At most this many batches of each kind per pass; the rest waits for the next pass.</summary>
    private const int MaxBatchesPerPass = 50;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        do
        {
            try
            {
                var result = await SweepOnceAsync(stoppingToken);
                // Routine passes are Debug, so a busy farm's log stays bounded; a pass that hit its bound means a backlog.
                if (result.Total > 0)
                    logger.Log(result.Total >= options.Value.SweepBatchSize * MaxBatchesPerPass ? LogLevel.Information : LogLevel.Debug, "Sweep: {@Sweep}", result);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "A sweep failed; the next one runs in {Interval}", options.Value.SweepInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<SweepResult> SweepOnceAsync(CancellationToken cancellationToken = default)
    {
        var batch = options.Value.SweepBatchSize;
        var now = time.GetUtcNow();
        var cutoff = now - options.Value.Retention;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync(cancellationToken);

        // Sessions of the current epoch whose time ran out are counted once their batch commits; those of an earlier
        // epoch that were still valid then were counted by the invalidation. One batch takes all, within the batch size.
        var timedOut = await InBatchesAsync(db, async write =>
        {
            var expired = await db.Sessions.Where(s => s.EndedAt == null && s.ExpiresAt <= now && s.Epoch == epoch && s.Origin == SessionOrigin.MediaWiki).Take(batch)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, s => s.ExpiresAt).SetProperty(s => s.EndReason, EndReason.Expired), cancellationToken);
            write.Ended(EndReason.Expired, expired);
            var idle = await db.Sessions.Where(s => s.EndedAt == null && s.ExpiresAt <= now && s.Epoch == epoch && s.Origin != SessionOrigin.MediaWiki).Take(batch - expired)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, s => s.ExpiresAt).SetProperty(s => s.EndReason, EndReason.Idle), cancellationToken);
            write.Ended(EndReason.Idle, idle);
            return expired + idle + await Validity.RanOut(db, db.Sessions.Where(s => s.EndedAt == null && s.Epoch < epoch), epoch, now).Take(batch - expired - idle)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, s => s.ExpiresAt)
                    .SetProperty(s => s.EndReason, s => s.Origin == SessionOrigin.MediaWiki ? EndReason.Expired : EndReason.Idle), cancellationToken);
        }, batch, cancellationToken);
        var byEpoch = await InBatchesAsync(db, _ => db.Sessions.Where(s => s.EndedAt == null && s.Epoch < epoch).Take(batch)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.EndedAt, s => db.EpochChanges.Where(e => e.Epoch == s.Epoch + 1).Select(e => (DateTimeOffset?)e.At).FirstOrDefault() ?? now)
                .SetProperty(s => s.EndReason, EndReason.EveryoneInvalidated), cancellationToken), batch, cancellationToken);
        await InBatchesAsync(db, _ => Validity.RanOut(db, db.CentralSessions.Where(s => s.EndedAt == null), epoch, now).Take(batch)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, s => s.ExpiresAt).SetProperty(s => s.EndReason, EndReason.Idle), cancellationToken), batch, cancellationToken);
        await InBatchesAsync(db, _ => db.CentralSessions.Where(s => s.EndedAt == null && s.Epoch < epoch).Take(batch)
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.EndedAt, s => db.EpochChanges.Where(e => e.Epoch == s.Epoch + 1).Select(e => (DateTimeOffset?)e.At).FirstOrDefault() ?? now)
                .SetProperty(s => s.EndReason, EndReason.EveryoneInvalidated), cancellationToken), batch, cancellationToken);
        await InBatchesAsync(db, _ => Validity.RanOut(db, db.RememberTokens.Where(t => t.EndedAt == null), epoch, now).Take(batch)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.EndedAt, t => t.ExpiresAt).SetProperty(t => t.EndReason, EndReason.Expired), cancellationToken), batch, cancellationToken);
        await InBatchesAsync(db, _ => db.RememberTokens.Where(t => t.EndedAt == null && t.Epoch < epoch).Take(batch)
            .ExecuteUpdateAsync(u => u
                .SetProperty(t => t.EndedAt, t => db.EpochChanges.Where(e => e.Epoch == t.Epoch + 1).Select(e => (DateTimeOffset?)e.At).FirstOrDefault() ?? now)
                .SetProperty(t => t.EndReason, EndReason.EveryoneInvalidated), cancellationToken), batch, cancellationToken);

        await InBatchesAsync(db, _ => db.MetadataDiffs.Where(d => db.Sessions.Any(s => s.Id == d.SessionId && s.EndedAt < cutoff)).Take(batch)
            .ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        var sessions = await InBatchesAsync(db, _ => db.Sessions.Where(s => s.EndedAt < cutoff).Take(batch)
            .ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        // A central session stays while a session or an open remember-me token hangs off it: it is how they find their browser.
        var centrals = await InBatchesAsync(db, _ => db.CentralSessions.Where(s => s.EndedAt < cutoff && !db.Sessions.Any(l => l.CentralSessionId == s.Id)
                && !db.RememberTokens.Any(t => t.CentralSessionId == s.Id && t.EndedAt == null)).Take(batch)
            .ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        await InBatchesAsync(db, _ => db.RememberTokens.Where(t => t.EndedAt < cutoff).Take(batch).ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        // MediaWiki's session bodies hold its secrets: gone as soon as they can no longer be read, not after the retention.
        // Every value expires (a value written before that rule, without an expiry, the default TTL after its last write).
        var unwritten = now - options.Value.StoreDefaultTtl;
        var blobs = await InBatchesAsync(db, _ => db.Blobs.Where(b => b.ExpiresAt <= now || b.ExpiresAt == null && b.WrittenAt <= unwritten
                || db.Sessions.Any(s => s.Id == b.SessionId && s.EndedAt != null)).Take(batch)
            .ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        // Each wiki's bytes in the store are read afresh on its next write: what expired is gone, what other instances wrote counts.
        quota.Forget();
        // A trace stays, with its steps, while a kept session still points at it as the logout it resurrected.
        var oldTraces = db.LogoutTraces.Where(t => t.FinishedAt < cutoff && !db.Sessions.Any(s => s.ResurrectionOfTraceId == t.Id));
        await InBatchesAsync(db, _ => db.LogoutTraceSteps.Where(step => oldTraces.Any(t => t.Id == step.TraceId)).Take(batch)
            .ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        var traces = await InBatchesAsync(db, _ => oldTraces.Take(batch).ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        var events = await InBatchesAsync(db, _ => db.Events.Where(e => e.At < cutoff).Take(batch)
            .ExecuteDeleteAsync(cancellationToken), batch, cancellationToken);
        return new SweepResult(timedOut, byEpoch, sessions, centrals, traces, events) { DeletedValues = blobs };
    }

    /// <summary>Each batch is a write of its own, taking its turn with the requests' writes rather than holding the store for a pass.</summary>
    private async Task<int> InBatchesAsync(SessionsDb db, Func<CredentialWrite, Task<int>> batchOnce, int batchSize, CancellationToken cancellationToken)
    {
        var total = 0;
        for (var i = 0; i < MaxBatchesPerPass; i++)
        {
            int done;
            await using (var write = await writes.BeginAsync(db, cancellationToken))
            {
                done = await batchOnce(write);
                write.Evicts(Eviction.None("what a sweep ends or deletes the validity rule already refuses (expired, of an older epoch, ended long ago)"));
                await write.CommitAsync(cancellationToken);
            }
            total += done;
            if (done < batchSize) break;
        }
        return total;
    }
}
