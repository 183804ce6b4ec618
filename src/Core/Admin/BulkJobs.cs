using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Admin;

/// <summary>What a bulk job would reach now: <paramref name="Total"/> sessions (or users), and the valid sessions by wiki and provider.</summary>
/// <param name="Users">For a user invalidation: the users with a matching session.</param>
/// <param name="ConfirmRequired">More than <see cref="BulkJobs.ConfirmAbove"/>: the start must name <paramref name="Total"/>.</param>
public sealed record BulkPreview(BulkJobKind Kind, int Total, int Users, IReadOnlyList<BulkCount> Counts, bool ConfirmRequired, string WhatEnds, string Survives);

public sealed record BulkCount(string Wiki, ProviderKind Provider, int Sessions);

/// <summary>A bulk job as staff see it.</summary>
public sealed record BulkJobView(
    long Id, BulkJobKind Kind, BulkJobState State, string Actor, string Reason, SessionFilter Filter, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt,
    int Matched, int Percent, int Batches, int SessionsEnded, int UsersInvalidated, int CentralSessionsEnded, int RememberTokensEnded,
    bool CancelRequested, string? CancelledBy, bool? CheckPassed, string? CheckSummary, string? Survives);

/// <summary>
/// Stewards' actions on everything a filter matches: revoke the matching sessions, or invalidate every user with a
/// matching session. A job is persisted, run in batches by key range (one set-based UPDATE each, through
/// <see cref="CredentialWrite"/>, audited), can be cancelled, carries on after a restart from its last committed batch,
/// and ends with a check that can fail. <see cref="BulkJobRunner"/> runs them.
/// </summary>
public sealed class BulkJobs(
    IDbContextFactory<SessionsDb> dbFactory, SessionQueries queries, FarmDirectory farm, CredentialWrites writes, SessionCache cache,
    IOptions<SessionOptions> options, TimeProvider time, ILogger<BulkJobs> logger)
{
    /// <summary>Above this many sessions or users, the steward types the count back.</summary>
    public const int ConfirmAbove = 1_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Raised on this instance after a job's row changed (a batch, a cancel, the end).</summary>
    public event Action<long>? Changed;

    private readonly SemaphoreSlim _work = new(0);

    /// <summary>Returns once a job started on this instance, for <see cref="BulkJobRunner"/>.</summary>
    internal Task WaitForWorkAsync(CancellationToken cancellationToken) => _work.WaitAsync(cancellationToken);

    /// <summary>Exact counts of what the job would end now, by wiki and provider: the preview the steward confirms.</summary>
    public async Task<BulkPreview> PreviewAsync(BulkJobKind kind, SessionFilter filter, CancellationToken cancellationToken = default)
    {
        filter = Scope(kind, filter);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var matched = await queries.FilterAsync(db, filter, cancellationToken);
        var (epoch, now) = (await AdminReads.EpochAsync(db, cancellationToken), time.GetUtcNow());
        // For users, what ends is every valid session of each matching user, not only the matching ones.
        var ending = kind == BulkJobKind.RevokeSessions
            ? Validity.Active(db, matched, epoch, now)
            : Validity.Active(db, db.Sessions.Where(s => s.UserId != null && matched.Select(m => m.UserId).Contains(s.UserId)), epoch, now);
        var groups = await ending.GroupBy(s => new { s.WikiId, s.Provider }).Select(g => new { g.Key.WikiId, g.Key.Provider, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var counts = new List<BulkCount>();
        foreach (var g in groups) counts.Add(new BulkCount((await farm.GetAsync(g.WikiId, cancellationToken)).DbName, g.Provider, g.Count));
        counts = [.. counts.OrderByDescending(c => c.Sessions).ThenBy(c => c.Wiki, StringComparer.Ordinal).ThenBy(c => c.Provider)];
        var sessions = counts.Sum(c => c.Sessions);
        var users = kind == BulkJobKind.InvalidateUsers
            ? await matched.Where(s => s.UserId != null).Select(s => s.UserId).Distinct().CountAsync(cancellationToken)
            : 0;
        var total = kind == BulkJobKind.RevokeSessions ? sessions : users;
        return new BulkPreview(kind, total, users, counts, total > ConfirmAbove,
            kind == BulkJobKind.RevokeSessions
                ? $"Revokes {sessions:N0} valid sessions that match, each on its own (session scope)."
                : $"Resets the user token of {users:N0} users: {sessions:N0} valid sessions on every wiki, their central sessions, remember-me tokens and OAuth authorizations end.",
            kind == BulkJobKind.RevokeSessions ? RevokeSurvives : UsersSurvive);
    }

    /// <summary>What a bulk revoke leaves, said before it runs; the job's answer gives the counts.</summary>
    public const string RevokeSurvives =
        "Each matching session ends on its own: the central sessions and remember-me tokens of those browsers are not ended, so auto-login " +
        "or a remember-me cookie can log their users back in, an OAuth tool's authorization gets a new session on its next request, and " +
        "MediaWiki's own Token cookie can restore a remembered MediaWiki session. To end those too, invalidate the users that match instead.";

    public const string UsersSurvive =
        "Bot passwords and OAuth grants survive (a new explicit bot or OAuth login works), and MediaWiki's own Token cookies survive: a bulk " +
        "invalidation does not run the wikis' token reset commands; invalidate or secure one user for that.";

    /// <summary>Starts a job; it runs in the background (see <see cref="BulkJobRunner"/>).</summary>
    /// <param name="confirm">The count the steward typed back; required when more than <see cref="ConfirmAbove"/> match.</param>
    /// <exception cref="SessionException">Forbidden: not a steward. Invalid: no reason, an empty filter, a wrong count. Conflict: a job is running.</exception>
    public async Task<BulkJobView> StartAsync(StaffActor actor, BulkJobKind kind, SessionFilter filter, string reason, int? confirm, CancellationToken cancellationToken = default)
    {
        AdminService.Authorize(actor, reason);
        reason = reason.Trim();
        filter = Scope(kind, filter);
        if (filter.IsEmpty)
            throw new SessionException(Failure.Invalid, "The filter matches every session of the farm: narrow it (a wiki, user, provider, IP, time window, remember-me or origin), or invalidate everyone instead.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.BulkJobs.Where(j => j.State == BulkJobState.Running).Select(j => (long?)j.Id).FirstOrDefaultAsync(cancellationToken) is { } running)
            throw new SessionException(Failure.Conflict, $"Bulk job {running} is still running; wait for it or cancel it first.");
        var preview = await PreviewAsync(kind, filter, cancellationToken);
        if (preview.Total == 0)
            throw new SessionException(Failure.Invalid, kind == BulkJobKind.RevokeSessions ? "No valid session matches this filter: nothing to revoke." : "No user has a session that matches this filter: nothing to invalidate.");
        if (preview.ConfirmRequired && confirm != preview.Total)
            throw new SessionException(Failure.Invalid, confirm is null
                ? $"{preview.Total:N0} {Unit(kind)} match: more than {ConfirmAbove:N0}, so type the count back ('confirm': {preview.Total}) to start."
                : $"{preview.Total:N0} {Unit(kind)} match now, not {confirm:N0}: check the preview again and type the count it shows.");

        var now = time.GetUtcNow();
        var matched = await queries.FilterAsync(db, filter, cancellationToken);
        var job = new BulkJob
        {
            Kind = kind, State = BulkJobState.Running, Actor = actor.Name, Reason = reason, Filter = JsonSerializer.Serialize(filter, Json), CreatedAt = now,
            Matched = preview.Total,
            SessionsBefore = await db.Sessions.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0,
            CentralsBefore = await db.CentralSessions.MaxAsync(s => (long?)s.Id, cancellationToken) ?? 0,
            TokensBefore = await db.RememberTokens.MaxAsync(t => (long?)t.Id, cancellationToken) ?? 0,
        };
        if (kind == BulkJobKind.RevokeSessions)
        {
            job.LastKey = job.SessionsBefore;
            job.Cursor = job.FirstKey = (await matched.Where(s => s.EndedAt == null).MinAsync(s => (long?)s.Id, cancellationToken) ?? 1) - 1;
        }
        else
        {
            var users = matched.Where(s => s.UserId != null && s.Id <= job.SessionsBefore).Select(s => s.UserId!.Value);
            job.LastKey = await users.MaxAsync(u => (long?)u, cancellationToken) ?? 0;
            job.Cursor = job.FirstKey = (await users.MinAsync(u => (long?)u, cancellationToken) ?? 1) - 1;
        }
        db.BulkJobs.Add(job);
        await db.SaveChangesAsync(cancellationToken);
        db.Audit.Add(new AuditEntry
        {
            At = now, Actor = actor.Name, Action = Action(kind) + "-started", Reason = reason, Target = $"bulk job {job.Id}",
            Detail = $"{preview.Total:N0} {Unit(kind)} match {Describe(filter)}; {preview.WhatEnds} " +
                string.Join(", ", preview.Counts.Take(20).Select(c => $"{c.Wiki}/{WireNames.Of(c.Provider)} {c.Sessions:N0}")),
        });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("{Actor} started bulk job {JobId} ({Kind}) on {Matched} {Unit} because {Reason}",
            LogText.Quote(actor.Name), job.Id, kind, preview.Total, Unit(kind), LogText.Quote(reason, AdminService.MaxReasonLength));
        _work.Release();
        Changed?.Invoke(job.Id);
        return View(job);
    }

    /// <summary>Asks a running job to stop after its current batch; what it ended stays ended.</summary>
    public async Task<BulkJobView> CancelAsync(StaffActor actor, long id, string reason, CancellationToken cancellationToken = default)
    {
        AdminService.Authorize(actor, reason);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var job = await db.BulkJobs.FirstOrDefaultAsync(j => j.Id == id, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no bulk job {id}.");
        if (job.State != BulkJobState.Running)
            throw new SessionException(Failure.Conflict, $"Bulk job {id} already {(job.State == BulkJobState.Done ? "finished" : "was cancelled")}; nothing to cancel.");
        var asked = await db.BulkJobs.Where(j => j.Id == id && j.State == BulkJobState.Running && !j.CancelRequested)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.CancelRequested, true).SetProperty(j => j.CancelledBy, actor.Name), cancellationToken);
        if (asked == 0) throw new SessionException(Failure.Conflict, $"Bulk job {id} is already being cancelled or has just finished.");
        db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = "bulk-cancel", Reason = reason.Trim(), Target = $"bulk job {id}",
            Detail = $"Asked to stop after the current batch; {job.SessionsEnded:N0} sessions ended so far stay ended." });
        await db.SaveChangesAsync(cancellationToken);
        Changed?.Invoke(id);
        return View((await db.BulkJobs.AsNoTracking().SingleAsync(j => j.Id == id, cancellationToken)));
    }

    public async Task<BulkJobView> JobAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return View(await db.BulkJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken)
            ?? throw new SessionException(Failure.NotFound, $"There is no bulk job {id}."));
    }

    /// <summary>The latest jobs, newest first.</summary>
    public async Task<IReadOnlyList<BulkJobView>> JobsAsync(int count = 20, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return (await db.BulkJobs.AsNoTracking().OrderByDescending(j => j.Id).Take(Math.Clamp(count, 1, 100)).ToListAsync(cancellationToken)).Select(View).ToList();
    }

    internal async Task<IReadOnlyList<long>> RunningAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.BulkJobs.Where(j => j.State == BulkJobState.Running).OrderBy(j => j.Id).Select(j => j.Id).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Runs the job's next step: a batch, the cancel, or the final check. Returns false once the job is over. Each batch
    /// moves the cursor in the transaction that ends its sessions, and only from where it read it, so a step repeated
    /// after a crash, or run by two instances at once, ends nothing twice and skips nothing.
    /// </summary>
    public async Task<bool> StepAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var job = await db.BulkJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, cancellationToken);
        if (job is not { State: BulkJobState.Running }) return false;
        if (job.CancelRequested)
        {
            await FinishAsync(db, job, cancelled: true, cancellationToken);
            return false;
        }
        if (job.Cursor >= job.LastKey)
        {
            await FinishAsync(db, job, cancelled: false, cancellationToken);
            return false;
        }
        await (job.Kind == BulkJobKind.RevokeSessions ? RevokeBatchAsync(db, job, cancellationToken) : InvalidateBatchAsync(db, job, cancellationToken));
        Changed?.Invoke(id);
        return true;
    }

    private async Task RevokeBatchAsync(SessionsDb db, BulkJob job, CancellationToken cancellationToken)
    {
        var (low, high) = (job.Cursor, Math.Min(job.LastKey, job.Cursor + options.Value.BulkBatchKeys));
        var now = time.GetUtcNow();
        await using var write = await writes.BeginAsync(db, cancellationToken);
        var batch = (await queries.FilterAsync(db, FilterOf(job), cancellationToken)).Where(s => s.Id > low && s.Id <= high);
        var reached = await batch.Where(s => s.EndedAt == null).Select(s => new { s.UserId, s.WikiId }).Distinct().ToListAsync(cancellationToken);
        var ended = await write.EndAsync(batch, EndReason.Revoked, job.Actor, now, Eviction.Users(reached.Select(r => r.UserId)), cancellationToken);
        var wikis = await WikiNamesAsync(reached.Select(r => r.WikiId), cancellationToken);
        if (!await AdvanceAsync(db, job, high, ended, 0, 0, 0, cancellationToken)) return;
        var percent = Percent(job.FirstKey, job.LastKey, high);
        db.Audit.Add(new AuditEntry { At = now, Actor = job.Actor, Action = "bulk-revoke-batch", Reason = job.Reason, Target = $"bulk job {job.Id}", SessionsEnded = ended,
            Detail = $"Batch {job.Batches + 1} (session keys {low + 1:N0} to {high:N0}, {percent}% done): {ended:N0} sessions revoked on {List(wikis)}." });
        Publish(write, job, now, EndReason.Revoked, wikis, $"Bulk job {job.Id} (revoke sessions): {percent}% done, {job.SessionsEnded + ended:N0} of {job.Matched:N0} sessions revoked.");
        await write.CommitAsync(cancellationToken);
    }

    private async Task InvalidateBatchAsync(SessionsDb db, BulkJob job, CancellationToken cancellationToken)
    {
        var (low, high) = (job.Cursor, Math.Min(job.LastKey, job.Cursor + options.Value.BulkUserBatchKeys));
        var now = time.GetUtcNow();
        await using var write = await writes.BeginAsync(db, cancellationToken);
        var matched = await queries.FilterAsync(db, FilterOf(job), cancellationToken);
        var userIds = matched.Where(s => s.Id <= job.SessionsBefore && s.UserId > low && s.UserId <= high).Select(s => s.UserId!.Value).Distinct();
        // Tracked, so a concurrent change of one of these users is a conflict and the batch runs again.
        var users = await db.Users.Where(u => userIds.Contains(u.Id)).ToListAsync(cancellationToken);
        foreach (var user in users)
        {
            user.Token = Secrets.NewToken();
            user.Version++;
        }
        await db.SaveChangesAsync(cancellationToken);
        var ids = users.Select(u => u.Id).ToList();
        var evicts = Eviction.Users(ids.Select(i => (int?)i));
        var wikiIds = await db.Sessions.Where(s => s.UserId != null && ids.Contains(s.UserId.Value) && s.EndedAt == null).Select(s => s.WikiId).Distinct().ToListAsync(cancellationToken);
        // The credentials first, then the sessions made from them, as for one user.
        var centrals = await write.EndAsync(db.CentralSessions.Where(c => ids.Contains(c.UserId)), EndReason.UserInvalidated, now, evicts, cancellationToken);
        var tokens = await write.EndAsync(db.RememberTokens.Where(t => ids.Contains(t.UserId)), EndReason.UserInvalidated, now, evicts, cancellationToken);
        var ended = await write.EndAsync(db.Sessions.Where(s => s.UserId != null && ids.Contains(s.UserId.Value)), EndReason.UserInvalidated, job.Actor, now, evicts, cancellationToken);
        var wikis = await WikiNamesAsync(wikiIds, cancellationToken);
        if (!await AdvanceAsync(db, job, high, ended, users.Count, centrals, tokens, cancellationToken)) return;
        var percent = Percent(job.FirstKey, job.LastKey, high);
        var names = users.Select(u => u.Name).Order(StringComparer.Ordinal).ToList();
        db.Audit.Add(new AuditEntry { At = now, Actor = job.Actor, Action = "bulk-invalidate-batch", Reason = job.Reason, Target = $"bulk job {job.Id}", SessionsEnded = ended,
            Detail = $"Batch {job.Batches + 1} ({percent}% done): user token reset for {users.Count:N0} users " +
                $"({string.Join(", ", names.Take(20))}{(names.Count > 20 ? $" and {names.Count - 20} more" : "")}); {ended:N0} sessions, {centrals:N0} central sessions " +
                $"and {tokens:N0} remember-me tokens ended on {List(wikis)}." });
        Publish(write, job, now, EndReason.UserInvalidated, wikis,
            $"Bulk job {job.Id} (invalidate users): {percent}% done, {job.UsersInvalidated + users.Count:N0} of {job.Matched:N0} users invalidated.");
        await write.CommitAsync(cancellationToken);
    }

    /// <summary>Moves the cursor from where this step read it; false (and nothing commits) when another step moved it first.</summary>
    private static async Task<bool> AdvanceAsync(SessionsDb db, BulkJob job, long high, int ended, int users, int centrals, int tokens, CancellationToken cancellationToken) =>
        await db.BulkJobs.Where(j => j.Id == job.Id && j.Cursor == job.Cursor && j.State == BulkJobState.Running).ExecuteUpdateAsync(u => u
            .SetProperty(j => j.Cursor, high)
            .SetProperty(j => j.Batches, j => j.Batches + 1)
            .SetProperty(j => j.SessionsEnded, j => j.SessionsEnded + ended)
            .SetProperty(j => j.UsersInvalidated, j => j.UsersInvalidated + users)
            .SetProperty(j => j.CentralSessionsEnded, j => j.CentralSessionsEnded + centrals)
            .SetProperty(j => j.RememberTokensEnded, j => j.RememberTokensEnded + tokens), cancellationToken) == 1;

    /// <summary>
    /// Ends the job: cancelled, or done with its check. The check looks at every session (and, for users, central session
    /// and remember-me token) the job reached that existed when it started, as a wiki's next request would: the validity
    /// rule over the store and the sessions this instance still answers from memory. Anything valid fails it.
    /// </summary>
    private async Task FinishAsync(SessionsDb db, BulkJob job, bool cancelled, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var filter = FilterOf(job);
        string? summary = null, survives;
        bool? passed = null;
        if (cancelled)
        {
            survives = $"Cancelled by {job.CancelledBy} after {job.Batches:N0} batch{(job.Batches == 1 ? "" : "es")}: what matched beyond the last batch was not {(job.Kind == BulkJobKind.RevokeSessions ? "revoked" : "invalidated")}. " +
                (job.Kind == BulkJobKind.RevokeSessions ? RevokeSurvives : UsersSurvive);
        }
        else
        {
            var (sessions, centrals, tokens, cached) = await StillValidAsync(db, job, filter, cancellationToken);
            passed = sessions + centrals + tokens + cached == 0;
            summary = passed.Value
                ? "Checked: nothing the job reached still yields a session, in the store or in memory."
                : $"Check failed: {sessions:N0} sessions, {centrals:N0} central sessions and {tokens:N0} remember-me tokens the job reached that existed when it started " +
                  $"still yield a session in the store, and {cached:N0} sessions are still answered from memory. Run the job again, and report it.";
            survives = job.Kind == BulkJobKind.RevokeSessions ? await RevokeSurvivorsAsync(db, job, filter, cancellationToken) : UsersSurvive;
        }
        var action = Action(job.Kind);
        var done = await db.BulkJobs.Where(j => j.Id == job.Id && j.State == BulkJobState.Running).ExecuteUpdateAsync(u => u
            .SetProperty(j => j.State, cancelled ? BulkJobState.Cancelled : BulkJobState.Done)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.CheckPassed, passed)
            .SetProperty(j => j.CheckSummary, summary)
            .SetProperty(j => j.Survives, Cut(survives)), cancellationToken);
        if (done == 0) return;
        var totals = job.Kind == BulkJobKind.RevokeSessions
            ? $"{job.SessionsEnded:N0} of {job.Matched:N0} matching sessions revoked"
            : $"{job.UsersInvalidated:N0} of {job.Matched:N0} users invalidated: {job.SessionsEnded:N0} sessions, {job.CentralSessionsEnded:N0} central sessions and {job.RememberTokensEnded:N0} remember-me tokens ended";
        db.Audit.Add(new AuditEntry { At = now, Actor = cancelled ? job.CancelledBy ?? job.Actor : job.Actor, Action = action + (cancelled ? "-cancelled" : ""), Reason = job.Reason,
            Target = $"bulk job {job.Id}", SessionsEnded = job.SessionsEnded, Detail = $"{totals} in {job.Batches:N0} batch{(job.Batches == 1 ? "" : "es")} ({Describe(filter)}). {summary} {survives}".Trim() });
        if (passed == false)
        {
            logger.LogError("The check after bulk job {JobId} failed: {Summary}", job.Id, summary);
            db.Audit.Add(new AuditEntry { At = now, Actor = job.Actor, Action = "check-failed", Reason = job.Reason, Target = $"bulk job {job.Id}", Detail = $"After {action}: {summary}" });
        }
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Bulk job {JobId} ({Kind}) {Outcome}: {SessionsEnded} sessions ended in {Batches} batches",
            job.Id, job.Kind, cancelled ? "was cancelled" : passed == true ? "finished" : "finished, check failed", job.SessionsEnded, job.Batches);
        Changed?.Invoke(job.Id);
    }

    private async Task<(int Sessions, int Centrals, int Tokens, int Cached)> StillValidAsync(SessionsDb db, BulkJob job, SessionFilter filter, CancellationToken cancellationToken)
    {
        var (epoch, now) = (await AdminReads.EpochAsync(db, cancellationToken), time.GetUtcNow());
        var matched = (await queries.FilterAsync(db, filter, cancellationToken)).Where(s => s.Id <= job.SessionsBefore);
        IQueryable<Session> sessions;
        int centrals = 0, tokens = 0;
        if (job.Kind == BulkJobKind.RevokeSessions)
        {
            sessions = matched;
        }
        else
        {
            var users = matched.Where(s => s.UserId != null && s.UserId <= job.LastKey).Select(s => s.UserId);
            sessions = db.Sessions.Where(s => s.Id <= job.SessionsBefore && users.Contains(s.UserId));
            centrals = await Validity.Active(db, db.CentralSessions.Where(c => c.Id <= job.CentralsBefore && users.Contains(c.UserId)), epoch, now).CountAsync(cancellationToken);
            tokens = await Validity.Active(db, db.RememberTokens.Where(t => t.Id <= job.TokensBefore && users.Contains(t.UserId)), epoch, now).CountAsync(cancellationToken);
        }
        var valid = await Validity.Active(db, sessions, epoch, now).CountAsync(cancellationToken);
        var cached = 0;
        foreach (var chunk in cache.ServedSessionIds().Where(i => i <= job.SessionsBefore).Chunk(500))
            cached += await sessions.Where(s => chunk.Contains(s.Id)).CountAsync(cancellationToken);
        return (valid, centrals, tokens, cached);
    }

    /// <summary>What a finished bulk revoke left able to log the matching users back in, counted by the validity rule.</summary>
    private async Task<string> RevokeSurvivorsAsync(SessionsDb db, BulkJob job, SessionFilter filter, CancellationToken cancellationToken)
    {
        var (epoch, now) = (await AdminReads.EpochAsync(db, cancellationToken), time.GetUtcNow());
        var revoked = (await queries.FilterAsync(db, filter, cancellationToken))
            .Where(s => s.Id > job.FirstKey && s.Id <= job.LastKey && s.EndReason == EndReason.Revoked && s.EndedBy == job.Actor);
        var centralIds = revoked.Where(s => s.CentralSessionId != null).Select(s => s.CentralSessionId!.Value);
        var tokenIds = revoked.Where(s => s.RememberTokenId != null).Select(s => s.RememberTokenId!.Value);
        var centrals = await Validity.Active(db, db.CentralSessions.Where(c => centralIds.Contains(c.Id)), epoch, now).CountAsync(cancellationToken);
        var tokens = await Validity.Active(db, db.RememberTokens.Where(t => tokenIds.Contains(t.Id) || (t.CentralSessionId != null && centralIds.Contains(t.CentralSessionId.Value))), epoch, now)
            .CountAsync(cancellationToken);
        var oauth = await revoked.Where(s => s.OAuthGrantId != null).Select(s => s.OAuthGrantId).Distinct().CountAsync(cancellationToken);
        var mediaWiki = await revoked.CountAsync(s => s.Origin == SessionOrigin.MediaWiki && s.Remember, cancellationToken);
        if (centrals + tokens + oauth + mediaWiki == 0) return "Nothing the revoked sessions hung off can log their users back in.";
        var parts = new List<string>();
        if (centrals > 0) parts.Add($"{centrals:N0} central sessions of those browsers are still valid: auto-login can log their users back in on any wiki.");
        if (tokens > 0) parts.Add($"{tokens:N0} remember-me tokens of those browsers are still valid: they restore their users without a login.");
        if (oauth > 0) parts.Add($"{oauth:N0} OAuth tools' authorizations are still valid: each one's next request gets a new session.");
        if (mediaWiki > 0) parts.Add($"{mediaWiki:N0} revoked MediaWiki sessions were remembered: MediaWiki's Token cookie can restore them until the user's token is reset there.");
        parts.Add("Invalidate the users that match to end those too.");
        return string.Join(" ", parts);
    }

    /// <summary>Revoking reaches valid sessions only, whatever state the explorer showed; invalidating users reads the filter as given.</summary>
    private static SessionFilter Scope(BulkJobKind kind, SessionFilter filter)
    {
        if (kind == BulkJobKind.InvalidateUsers) return filter;
        if (filter.Active == false || filter.EndReason is not null)
            throw new SessionException(Failure.Invalid, "Ended sessions cannot be revoked: clear the 'ended' state and the end reason from the filter.");
        return filter with { Active = null };
    }

    /// <summary>
    /// The batch's progress for staff and its ends for the wiki servers, whose caches drop that wiki's sessions: one
    /// notice per <see cref="SessionNotice.MaxWikis"/> wikis, since a notice names no more.
    /// </summary>
    private static void Publish(CredentialWrite write, BulkJob job, DateTimeOffset now, EndReason reason, IReadOnlyList<string> wikis, string detail)
    {
        foreach (var chunk in wikis.Count == 0 ? [[]] : wikis.Chunk(SessionNotice.MaxWikis))
            write.Publish(new SessionNotice(SessionEventKind.AdminAction, now, null, null, null, null, $"{job.Actor}: {detail}", EndReason: reason, Wikis: chunk));
    }

    private async Task<IReadOnlyList<string>> WikiNamesAsync(IEnumerable<int> ids, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        foreach (var id in ids.Distinct()) names.Add((await farm.GetAsync(id, cancellationToken)).DbName);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private static SessionFilter FilterOf(BulkJob job) => JsonSerializer.Deserialize<SessionFilter>(job.Filter, Json) ?? new SessionFilter();

    internal static BulkJobView View(BulkJob j) => new(j.Id, j.Kind, j.State, j.Actor, j.Reason, FilterOf(j), j.CreatedAt, j.FinishedAt, j.Matched,
        j.State == BulkJobState.Done ? 100 : Percent(j.FirstKey, j.LastKey, j.Cursor), j.Batches, j.SessionsEnded, j.UsersInvalidated, j.CentralSessionsEnded,
        j.RememberTokensEnded, j.CancelRequested, j.CancelledBy, j.CheckPassed, j.CheckSummary, j.Survives);

    private static int Percent(long first, long last, long cursor) => last <= first ? 100 : (int)Math.Clamp((cursor - first) * 100 / (last - first), 0, 100);

    private static string Action(BulkJobKind kind) => kind == BulkJobKind.RevokeSessions ? "bulk-revoke" : "bulk-invalidate";

    private static string Unit(BulkJobKind kind) => kind == BulkJobKind.RevokeSessions ? "sessions" : "users";

    private static string List(IReadOnlyList<string> wikis) => wikis.Count == 0 ? "no wiki" : wikis.Count > 10 ? $"{string.Join(", ", wikis.Take(10))} and {wikis.Count - 10} more wikis" : string.Join(", ", wikis);

    private static string? Cut(string? text) => text is { Length: > 2000 } ? text[..1999] + "…" : text;

    /// <summary>The filter in words for the audit log.</summary>
    public static string Describe(SessionFilter f)
    {
        var parts = new List<string>();
        if (f.Wiki is { } wiki) parts.Add($"wiki {wiki}");
        if (f.User is { } user) parts.Add($"user {user}");
        if (f.Provider is { } provider) parts.Add($"provider {WireNames.Of(provider)}");
        if (f.Ip is { } ip) parts.Add($"IP {ip}");
        if (f.From is { } from) parts.Add($"logged in from {from:u}");
        if (f.To is { } to) parts.Add($"logged in before {to:u}");
        if (f.Remember is { } remember) parts.Add(remember ? "remember-me" : "not remember-me");
        if (f.Origin is { } origin) parts.Add($"origin {WireNames.Of(origin)}");
        if (f.Active is { } active) parts.Add(active ? "active" : "ended");
        if (f.EndReason is { } reason) parts.Add($"ended as {WireNames.Of(reason)}");
        return parts.Count == 0 ? "the whole farm" : string.Join(", ", parts);
    }
}
