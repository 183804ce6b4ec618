using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;

namespace WikiSessions.Core.Tests.Admin;

public abstract class BulkJobTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : BulkJobTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : BulkJobTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : BulkJobTests(StoreKind.SqlServer);

    /// <summary>The block the suspicious logins come from; the seeded farm has nothing in it.</summary>
    private const string Block = "192.0.2.0/24";
    private static readonly ClientInfo Suspicious = new("192.0.2.44", "curl/8.0", Secure: true);
    private static readonly SessionFilter FromBlock = new(Ip: Block);

    /// <summary>Two session keys per batch, so a handful of logins makes several batches.</summary>
    private Task<TestFarm> StartSmallBatchesAsync() => StartAsync(o => (o.BulkBatchKeys, o.BulkUserBatchKeys) = (2, 1));

    private static BulkJobs Jobs(IServiceProvider services) => services.GetRequiredService<BulkJobs>();

    private static async Task<BulkJobView> RunAsync(BulkJobs jobs, long id)
    {
        while (await jobs.StepAsync(id)) { }
        return await jobs.JobAsync(id);
    }

    [Fact]
    public async Task A_bulk_revoke_ends_every_matching_session_in_audited_batches_and_its_check_passes()
    {
        await using var farm = await StartSmallBatchesAsync();
        var matching = new List<LoginResult>();
        foreach (var (user, wiki) in new[] { (TestFarm.Alice, "enwiki"), (TestFarm.Bob, "enwiki"), (TestFarm.Carol, "dewiki"), (TestFarm.Alice, "dewiki") })
            matching.Add(await farm.LoginAsync(user, wiki, client: Suspicious));
        var elsewhere = await farm.LoginAsync(TestFarm.Bob, "dewiki");
        var jobs = Jobs(farm.Services);

        var preview = await jobs.PreviewAsync(BulkJobKind.RevokeSessions, FromBlock);
        Assert.Equal(4, preview.Total);
        Assert.Equal([("dewiki", 2), ("enwiki", 2)], preview.Counts.Select(c => (c.Wiki, c.Sessions)).Order().ToList());
        Assert.False(preview.ConfirmRequired);

        var started = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Credential stuffing from 192.0.2.0/24", confirm: null);
        var done = await RunAsync(jobs, started.Id);

        Assert.Equal((BulkJobState.Done, 4, true), (done.State, done.SessionsEnded, done.CheckPassed));
        Assert.True(done.Batches > 1);
        foreach (var login in matching)
        {
            var resolved = await farm.ResolveAsync(login.Session.Wiki, TestFarm.CookiesFor(login.SetCookies, login.Session.Wiki == "enwiki" ? "en.wikipedia.org" : "de.wikipedia.org"));
            Assert.Null(resolved.Session);
        }
        await using var db = farm.Db();
        Assert.All(await db.Sessions.Where(s => s.IpKey != null && s.Ip!.StartsWith("192.0.2.")).ToListAsync(),
            s => Assert.Equal((EndReason?)EndReason.Revoked, s.EndReason));
        Assert.Null(await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(elsewhere.Session.Id)).Select(s => s.EndedAt).SingleAsync());

        var audit = (await farm.FarmQueries.AuditAsync(1, 100)).Items;
        var batches = audit.Where(a => a.Action == "bulk-revoke-batch" && a.Target == $"bulk job {started.Id}").ToList();
        Assert.Equal(done.Batches, batches.Count);
        Assert.Equal(4, batches.Sum(b => b.SessionsEnded));
        Assert.Contains(audit, a => a.Action == "bulk-revoke-started");
        Assert.Contains(audit, a => a.Action == "bulk-revoke" && a.Detail!.Contains("Checked: nothing the job reached"));
    }

    [Fact]
    public async Task A_bulk_revoke_keeps_the_promise_and_says_plainly_that_central_sessions_survive()
    {
        await using var farm = await StartSmallBatchesAsync();
        var login = await farm.LoginAsync(client: Suspicious);
        var jobs = Jobs(farm.Services);

        var job = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Leaked cookies", confirm: null);
        var done = await RunAsync(jobs, job.Id);

        // The revoked session's own cookie never brings it back.
        var again = await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"));
        Assert.NotEqual(login.Session.Id, again.Session?.Id);
        // What the answer says survives does: the central session logs the user in on another wiki.
        Assert.Contains("1 central sessions of those browsers are still valid", done.Survives);
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
        var elsewhere = await farm.ResolveAsync("dewiki", new Dictionary<string, string>(), central);
        Assert.True(elsewhere.AutoLogin);
    }

    [Fact]
    public async Task A_bulk_revoke_carries_on_after_a_restart_from_its_last_committed_batch()
    {
        await using var farm = await StartSmallBatchesAsync();
        for (var i = 0; i < 6; i++) await farm.LoginAsync(i % 2 == 0 ? TestFarm.Alice : TestFarm.Carol, client: Suspicious);
        var job = await Jobs(farm.Services).StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Botnet", confirm: null);
        Assert.True(await Jobs(farm.Services).StepAsync(job.Id));
        var interrupted = await Jobs(farm.Services).JobAsync(job.Id);

        // A new instance on the same store, as after a restart: it finds the job still running and carries on.
        await using (var restarted = farm.AnotherInstance())
        {
            var jobs = Jobs(restarted);
            Assert.Equal([job.Id], await jobs.RunningAsync(CancellationToken.None));
            var done = await RunAsync(jobs, job.Id);
            Assert.Equal((BulkJobState.Done, 6, true), (done.State, done.SessionsEnded, done.CheckPassed));
            Assert.True(done.Batches > interrupted.Batches);
        }
        var batches = (await farm.FarmQueries.AuditAsync(1, 100)).Items.Where(a => a.Action == "bulk-revoke-batch").ToList();
        Assert.Equal(6, batches.Sum(b => b.SessionsEnded));
    }

    [Fact]
    public async Task A_cancelled_bulk_revoke_stops_after_its_batch_and_what_it_ended_stays_ended()
    {
        await using var farm = await StartSmallBatchesAsync();
        for (var i = 0; i < 6; i++) await farm.LoginAsync(client: Suspicious);
        var jobs = Jobs(farm.Services);
        var job = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Botnet", confirm: null);
        Assert.True(await jobs.StepAsync(job.Id));

        await jobs.CancelAsync(TestFarm.Steward, job.Id, "Wrong block");
        Assert.False(await jobs.StepAsync(job.Id));

        var cancelled = await jobs.JobAsync(job.Id);
        Assert.Equal(BulkJobState.Cancelled, cancelled.State);
        Assert.InRange(cancelled.SessionsEnded, 1, 5);
        Assert.Contains("was not revoked", cancelled.Survives);
        await using var db = farm.Db();
        Assert.Equal(cancelled.SessionsEnded, await db.Sessions.CountAsync(s => s.Ip == "192.0.2.44" && s.EndReason == EndReason.Revoked));
        var audit = (await farm.FarmQueries.AuditAsync(1, 100)).Items;
        Assert.Contains(audit, a => a.Action == "bulk-cancel");
        Assert.Contains(audit, a => a.Action == "bulk-revoke-cancelled");
        var refused = await Assert.ThrowsAsync<SessionException>(() => jobs.CancelAsync(TestFarm.Steward, job.Id, "Again"));
        Assert.Equal(Failure.Conflict, refused.Failure);
    }

    [Fact]
    public async Task A_session_brought_back_while_a_bulk_revoke_runs_fails_its_check_and_the_audit_says_so()
    {
        await using var farm = await StartSmallBatchesAsync();
        var login = await farm.LoginAsync(client: Suspicious);
        await farm.LoginAsync(TestFarm.Bob, client: Suspicious);
        var jobs = Jobs(farm.Services);
        var job = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Botnet", confirm: null);
        while ((await jobs.JobAsync(job.Id)).Percent < 100) Assert.True(await jobs.StepAsync(job.Id));

        // Brings one session back in the store, as a write path that raced the job on a server database could.
        await using (var db = farm.Db())
            await db.Sessions.Where(s => s.IdHash == Secrets.Sha256(login.Session.Id))
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, (DateTimeOffset?)null).SetProperty(s => s.EndReason, (EndReason?)null));
        Assert.False(await jobs.StepAsync(job.Id));

        var done = await jobs.JobAsync(job.Id);
        Assert.Equal((BulkJobState.Done, false), (done.State, done.CheckPassed));
        Assert.StartsWith("Check failed: 1 sessions", done.CheckSummary);
        Assert.Contains((await farm.FarmQueries.AuditAsync(1, 100)).Items, a => a.Action == "check-failed" && a.Target == $"bulk job {job.Id}");
    }

    [Fact]
    public async Task A_bulk_invalidation_resets_the_token_of_every_user_with_a_matching_session_and_only_theirs()
    {
        await using var farm = await StartSmallBatchesAsync();
        await farm.LoginAsync(TestFarm.Alice, client: Suspicious);
        await farm.LoginAsync(TestFarm.Bob, "dewiki", client: Suspicious);
        // Their other sessions end too: the user token is reset, as for one user.
        var aliceElsewhere = await farm.LoginAsync(TestFarm.Alice, "frwiki", remember: true);
        var carol = await farm.LoginAsync(TestFarm.Carol);
        var jobs = Jobs(farm.Services);

        var preview = await jobs.PreviewAsync(BulkJobKind.InvalidateUsers, FromBlock);
        Assert.Equal((2, 2), (preview.Total, preview.Users));
        Assert.Equal(3, preview.Counts.Sum(c => c.Sessions));
        var job = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.InvalidateUsers, FromBlock, "Logged in from the botnet", confirm: null);
        var done = await RunAsync(jobs, job.Id);

        Assert.Equal((BulkJobState.Done, 2, 3, true), (done.State, done.UsersInvalidated, done.SessionsEnded, done.CheckPassed));
        Assert.Null((await farm.ResolveAsync("frwiki", TestFarm.CookiesFor(aliceElsewhere.SetCookies, "fr.wikipedia.org"))).Session);
        Assert.NotNull((await farm.ResolveAsync("enwiki", TestFarm.CookiesFor(carol.SetCookies, "en.wikipedia.org"))).Session);
        Assert.Contains("Bot passwords and OAuth grants survive", done.Survives);
        var batches = (await farm.FarmQueries.AuditAsync(1, 100)).Items.Where(a => a.Action == "bulk-invalidate-batch").ToList();
        Assert.Contains(batches, b => b.Detail!.Contains(TestFarm.Alice));
        Assert.Contains(batches, b => b.Detail!.Contains(TestFarm.Bob));
        Assert.DoesNotContain(batches, b => b.Detail!.Contains(TestFarm.Carol));
    }

    [Fact]
    public async Task A_bulk_job_is_refused_without_a_steward_a_reason_a_narrow_filter_or_the_typed_count()
    {
        await using var farm = await StartAsync();
        await farm.LoginAsync(client: Suspicious);
        var jobs = Jobs(farm.Services);

        async Task<Failure> Refused(Func<Task> start) => (await Assert.ThrowsAsync<SessionException>(start)).Failure;
        Assert.Equal(Failure.Forbidden, await Refused(() => jobs.StartAsync(new StaffActor("dev", StaffRole.Developer), BulkJobKind.RevokeSessions, FromBlock, "x", null)));
        Assert.Equal(Failure.Invalid, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "  ", null)));
        Assert.Equal(Failure.Invalid, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, new SessionFilter(Active: true), "Everyone", null)));
        Assert.Equal(Failure.Invalid, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock with { Active = false }, "Ended", null)));
        Assert.Equal(Failure.Invalid, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions,
            FromBlock with { From = TestFarm.Start, To = TestFarm.Start.AddHours(-1) }, "Backwards", null)));
        Assert.Empty(await jobs.JobsAsync());

        for (var i = 0; i < BulkJobs.ConfirmAbove; i++) await farm.LoginAsync(TestFarm.Carol, client: Suspicious);
        var preview = await jobs.PreviewAsync(BulkJobKind.RevokeSessions, FromBlock);
        Assert.Equal((BulkJobs.ConfirmAbove + 1, true), (preview.Total, preview.ConfirmRequired));
        Assert.Equal(Failure.Invalid, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Botnet", null)));
        Assert.Equal(Failure.Invalid, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Botnet", preview.Total - 1)));
        Assert.Empty(await jobs.JobsAsync());
        var started = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.RevokeSessions, FromBlock, "Botnet", preview.Total);
        Assert.Equal(preview.Total, started.Matched);
        Assert.Equal(Failure.Conflict, await Refused(() => jobs.StartAsync(TestFarm.Steward, BulkJobKind.InvalidateUsers, FromBlock, "Botnet", 2)));
    }
}
