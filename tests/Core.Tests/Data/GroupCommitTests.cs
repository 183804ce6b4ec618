using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Data;

namespace WikiSessions.Core.Tests.Data;

/// <summary>
/// On SQLite the writes that queue behind the store's one writer commit together (<see cref="WriteGate"/>): each in a
/// savepoint of its own inside one transaction, answered once that transaction is committed.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task A_write_that_fails_inside_a_batch_leaves_the_others_committed_and_its_own_change_undone()
    {
        await using var farm = await TestFarm.StartAsync();
        var alice = (await farm.LoginAsync(TestFarm.Alice)).Session.Id;
        var bob = (await farm.LoginAsync(TestFarm.Bob)).Session.Id;
        var carol = (await farm.LoginAsync(TestFarm.Carol)).Session.Id;
        var gate = farm.Services.GetRequiredService<WriteGate>();
        var writes = farm.Services.GetRequiredService<CredentialWrites>();
        var commitsBefore = gate.Commits;

        // Alice's end holds the turn while Bob's and Carol's line up behind it, so all three share one batch.
        await using var dbA = farm.Db();
        var first = await writes.BeginAsync(dbA, CancellationToken.None);
        await EndAsync(farm, first, alice);
        var failing = Task.Run(async () =>
        {
            await using var db = farm.Db();
            await using var write = await writes.BeginAsync(db, CancellationToken.None);
            await EndAsync(farm, write, bob);
            throw new InvalidOperationException("The caller failed after its write reached the store.");
        });
        await WaitUntilAsync(() => gate.Waiting == 1);
        var last = Task.Run(async () =>
        {
            await using var db = farm.Db();
            await using var write = await writes.BeginAsync(db, CancellationToken.None);
            await EndAsync(farm, write, carol);
            await write.CommitAsync(CancellationToken.None);
        });
        await WaitUntilAsync(() => gate.Waiting == 2);

        await first.CommitAsync(CancellationToken.None);
        await first.DisposeAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => failing);
        await last;

        Assert.Equal(commitsBefore + 1, gate.Commits);
        await using var check = farm.Db();
        var ended = await check.Sessions.Where(s => s.IdHash == Secrets.Sha256(alice) || s.IdHash == Secrets.Sha256(bob) || s.IdHash == Secrets.Sha256(carol))
            .ToDictionaryAsync(s => s.IdHash, s => s.EndReason);
        Assert.Equal(EndReason.Revoked, ended[Secrets.Sha256(alice)]);
        Assert.Null(ended[Secrets.Sha256(bob)]);
        Assert.Equal(EndReason.Revoked, ended[Secrets.Sha256(carol)]);
    }

    [Fact]
    public async Task A_write_is_answered_only_after_the_commit_that_holds_it()
    {
        await using var farm = await TestFarm.StartAsync();
        var alice = (await farm.LoginAsync(TestFarm.Alice)).Session.Id;
        var bob = (await farm.LoginAsync(TestFarm.Bob)).Session.Id;
        var gate = farm.Services.GetRequiredService<WriteGate>();
        var writes = farm.Services.GetRequiredService<CredentialWrites>();

        await using var dbA = farm.Db();
        var first = await writes.BeginAsync(dbA, CancellationToken.None);
        await EndAsync(farm, first, alice);
        var release = new TaskCompletionSource();
        var holder = Task.Run(async () =>
        {
            await using var db = farm.Db();
            await using var write = await writes.BeginAsync(db, CancellationToken.None);
            await EndAsync(farm, write, bob);
            await release.Task;
            await write.CommitAsync(CancellationToken.None);
        });
        await WaitUntilAsync(() => gate.Waiting == 1);

        // Alice's write is done with its turn, but the batch stays open while Bob's holds the turn: no answer yet, and
        // another connection still reads her session open.
        var answered = first.CommitAsync(CancellationToken.None);
        await WaitUntilAsync(() => gate.Waiting == 0);
        Assert.False(answered.IsCompleted);
        await using (var other = farm.Db())
            Assert.Null(await other.Sessions.Where(s => s.IdHash == Secrets.Sha256(alice)).Select(s => s.EndedAt).SingleAsync());

        release.SetResult();
        await answered;
        await holder;
        await first.DisposeAsync();
        await using var check = farm.Db();
        Assert.NotNull(await check.Sessions.Where(s => s.IdHash == Secrets.Sha256(alice)).Select(s => s.EndedAt).SingleAsync());
    }

    [Fact]
    public async Task A_write_batchs_large_page_cache_is_not_left_on_the_pooled_connections_readers_take()
    {
        await using var farm = await TestFarm.StartAsync();
        await farm.LoginAsync(TestFarm.Alice);
        await farm.LoginAsync(TestFarm.Bob);

        // Every pooled connection at once, the write batches' among them.
        var readers = Enumerable.Range(0, 8).Select(_ => farm.Db()).ToList();
        try
        {
            foreach (var reader in readers)
            {
                await reader.Database.OpenConnectionAsync();
                await using var command = reader.Database.GetDbConnection().CreateCommand();
                command.CommandText = "PRAGMA cache_size;";
                Assert.Equal(-2000L, (long)(await command.ExecuteScalarAsync())!);
            }
        }
        finally
        {
            foreach (var reader in readers) await reader.DisposeAsync();
        }
    }

    private static async Task EndAsync(TestFarm farm, CredentialWrite write, string sessionId)
    {
        var hash = Secrets.Sha256(sessionId);
        Assert.Equal(1, await write.EndAsync(write.Db.Sessions.Where(s => s.IdHash == hash), EndReason.Revoked, "steward", farm.Time.GetUtcNow(),
            Eviction.Key(hash), CancellationToken.None));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition()) await Task.Delay(5, limit.Token);
    }
}
