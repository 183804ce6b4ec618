using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Infrastructure;
using WikiSessions.Core.Data;

namespace WikiSessions.Core.Tests;

public sealed class StoreTests
{
    [Fact]
    public async Task Two_writers_of_one_session_never_lose_it_and_the_slower_one_gets_a_version_conflict()
    {
        // Django #6984: a racing write truncated the session and a new empty session silently replaced it.
        await using var farm = await TestFarm.StartAsync();
        var id = (await farm.LoginAsync()).Session.Id;
        var read = await farm.Sessions.GetDataAsync("enwiki", id);

        var first = await farm.Sessions.PutDataAsync("enwiki", id, read.Version, """{"watchlist":"first"}""");
        var slower = await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.PutDataAsync("enwiki", id, read.Version, """{"watchlist":"second"}"""));

        Assert.Equal(read.Version + 1, first);
        Assert.Equal(Failure.Conflict, slower.Failure);
        Assert.Equal(first, slower.CurrentVersion);
        var after = await farm.Sessions.GetDataAsync("enwiki", id);
        Assert.Equal((first, """{"watchlist":"first"}"""), (after.Version, after.Data));
    }

    [Fact]
    public async Task Many_simultaneous_writers_each_either_win_one_version_or_get_a_conflict()
    {
        await using var farm = await TestFarm.StartAsync();
        var id = (await farm.LoginAsync()).Session.Id;
        var start = (await farm.Sessions.GetDataAsync("enwiki", id)).Version;

        var writers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            var wins = 0;
            for (var round = 0; round < 5; round++)
            {
                var current = await farm.Sessions.GetDataAsync("enwiki", id);
                try
                {
                    await farm.Sessions.PutDataAsync("enwiki", id, current.Version, $$"""{"writer":"{{i}}","round":"{{round}}"}""");
                    wins++;
                }
                catch (SessionException ex) when (ex.Failure == Failure.Conflict) { }
            }
            return wins;
        })).ToList();
        var totalWins = (await Task.WhenAll(writers)).Sum();

        var final = await farm.Sessions.GetDataAsync("enwiki", id);
        Assert.InRange(totalWins, 1, 24 * 5);
        Assert.Equal(start + totalWins, final.Version);
        Assert.Matches("""^\{"writer":"\d+","round":"\d"\}$""", final.Data);
        Assert.NotNull((await farm.ResolveAsync("enwiki", new Dictionary<string, string> { ["enwiki_session"] = id })).Session);
    }

    [Fact]
    public async Task Session_data_writes_refuse_bad_input_and_change_nothing()
    {
        await using var farm = await TestFarm.StartAsync();
        var id = (await farm.LoginAsync()).Session.Id;

        Assert.Equal(Failure.Invalid, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.PutDataAsync("enwiki", id, 1, "[1,2]"))).Failure);
        Assert.Equal(Failure.Invalid, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.PutDataAsync("enwiki", id, 1, "{not json"))).Failure);
        Assert.Equal(Failure.Invalid, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.GetDataAsync("enwiki", "xyz"))).Failure);
        Assert.Equal(Failure.NotFound, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.GetDataAsync("dewiki", id))).Failure);
        Assert.Equal(Failure.NotFound, (await Assert.ThrowsAsync<SessionException>(() => farm.Sessions.GetDataAsync("enwiki", Secrets.NewSessionId()))).Failure);
        Assert.Equal(new SessionData(1, "{}"), await farm.Sessions.GetDataAsync("enwiki", id));
    }

    [Fact]
    public async Task A_store_outage_is_a_clear_counted_error_that_creates_nothing_and_recovers_by_itself()
    {
        // T124126: "Can neither load the session nor create an empty session".
        await using var farm = await TestFarm.StartAsync();
        var login = await farm.LoginAsync();
        var cookies = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
        await using var db = farm.Db();
        var before = await db.Sessions.CountAsync();

        farm.Store.SimulateOutage(TimeSpan.FromMinutes(1));
        var resolve = await Assert.ThrowsAsync<SessionException>(() => farm.ResolveAsync("enwiki", cookies));
        var newLogin = await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(TestFarm.Bob));

        Assert.Equal(Failure.Unavailable, resolve.Failure);
        Assert.Contains("neither be loaded nor created", resolve.Message);
        Assert.Equal(Failure.Unavailable, newLogin.Failure);
        Assert.Equal(2, farm.Store.Failures);

        farm.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(login.Session.Id, (await farm.ResolveAsync("enwiki", cookies)).Session?.Id);
        Assert.Equal(before, await db.Sessions.CountAsync());
    }

    [Fact]
    public async Task Resolving_an_active_session_writes_at_most_once_per_activity_interval()
    {
        // T124406: session writes drove a database primary to 54,000 transactions per second.
        await using var farm = await TestFarm.StartAsync();
        var cookies = TestFarm.CookiesFor((await farm.LoginAsync()).SetCookies, "en.wikipedia.org");
        farm.Commands.Reset();

        for (var i = 0; i < 50; i++)
        {
            farm.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.NotNull((await farm.ResolveAsync("enwiki", cookies)).Session);
        }
        Assert.Equal(0, farm.Commands.Writes);

        farm.Time.Advance(TimeSpan.FromSeconds(11));
        var touched = await farm.ResolveAsync("enwiki", cookies);
        // One write for the session and one for the central session it keeps alive.
        Assert.Equal(2, farm.Commands.Writes);
        Assert.Equal(farm.Time.GetUtcNow() + TimeSpan.FromMinutes(30), touched.Session!.ExpiresAt);
    }

    [Fact]
    public async Task The_sweeper_ends_idle_sessions_and_deletes_old_ones_in_bounded_batches()
    {
        await using var farm = await TestFarm.StartAsync(o => { o.SweepBatchSize = 100; o.Retention = TimeSpan.FromDays(1); });
        await AdminTests.InsertSessionsAsync(farm, 0, 6_000);
        var trace = await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", new Dictionary<string, string>(), null, LogoutScope.Global, TestFarm.Browser));

        farm.Time.Advance(TimeSpan.FromHours(1));
        var first = await farm.Sweeper.SweepOnceAsync();
        Assert.Equal(5_000, first.EndedByTime);
        Assert.Equal(0, first.DeletedSessions);
        var second = await farm.Sweeper.SweepOnceAsync();
        Assert.Equal(1_000, second.EndedByTime);

        farm.Time.Advance(TimeSpan.FromDays(2));
        var third = await farm.Sweeper.SweepOnceAsync();
        Assert.Equal(5_000, third.DeletedSessions);
        Assert.Equal(1, third.DeletedTraces);
        await using var db = farm.Db();
        Assert.Equal(1_000, await db.Sessions.CountAsync());
        Assert.False(await db.LogoutTraces.AnyAsync(t => t.Id == trace.TraceId));
        Assert.False(await db.Events.AnyAsync(e => e.At < farm.Time.GetUtcNow().AddDays(-1)));
    }

    [Fact]
    public async Task The_sweeper_keeps_a_logout_trace_whole_while_its_resurrected_session_lives()
    {
        await using var farm = await TestFarm.StartAsync(o => o.Retention = TimeSpan.FromDays(1));
        var login = await farm.LoginAsync(remember: true);
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org"), central, LogoutScope.Local, TestFarm.Browser));
        Assert.True((await farm.ResolveAsync("enwiki", new Dictionary<string, string>(), central)).AutoLogin);

        farm.Time.Advance(TimeSpan.FromDays(2));
        await farm.Sweeper.SweepOnceAsync();

        var trace = await farm.TraceQueries.TraceAsync(logout.TraceId);
        Assert.Equal(2, trace.Steps.Count);
        Assert.Single(trace.Resurrections);
    }

    [Fact]
    public async Task Event_details_are_bounded_so_session_logging_cannot_grow_without_limit()
    {
        // The "session" log channel once wrote 109 GB in two days.
        await using var farm = await TestFarm.StartAsync();
        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, TestFarm.Alice, new string('x', 1000));

        await using var db = farm.Db();
        Assert.All(await db.Events.ToListAsync(), e => Assert.True(e.Detail.Length <= SessionEvent.MaxDetail));
    }

    [Fact]
    public async Task Logs_never_contain_a_session_id()
    {
        await using var farm = await TestFarm.StartAsync();
        var login = await farm.LoginAsync();
        var cookies = TestFarm.CookiesFor(login.SetCookies, "en.wikipedia.org");
        var mixed = new Dictionary<string, string>(cookies) { ["enwikiUserName"] = "Someone Else" };
        farm.Store.SimulateOutage(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAsync<SessionException>(() => farm.ResolveAsync("enwiki", cookies));
        farm.Store.EndOutage();
        await farm.ResolveAsync("enwiki", mixed);
        await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", cookies, TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost), LogoutScope.Global, TestFarm.Browser));

        Assert.NotEmpty(farm.Logs.Messages);
        Assert.DoesNotContain(farm.Logs.Messages, m => m.Contains(login.Session.Id) || m.Contains(login.CentralSessionId!));
    }

    [Fact]
    public void The_SQL_Server_migrations_generate_a_script()
    {
        using var db = new SqlServerDesignTimeFactory().CreateDbContext([]);

        var script = db.GetService<IMigrator>().GenerateScript();

        Assert.Contains("CREATE TABLE [Sessions]", script);
        Assert.Contains("CREATE UNIQUE INDEX [IX_Sessions_IdHash]", script);
        Assert.Contains("Audit_append_only", script);
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Fact]
    public void The_SQLite_migrations_match_the_model()
    {
        using var db = new SqliteDesignTimeFactory().CreateDbContext([]);
        Assert.False(db.Database.HasPendingModelChanges());
    }

    [Theory]
    [InlineData("203.0.113.0/24", "203.0.113.7", true)]
    [InlineData("203.0.113.0/24", "203.0.114.7", false)]
    [InlineData("198.51.100.0/22", "198.51.103.255", true)]
    [InlineData("2001:db8::/32", "2001:db8:1::5", true)]
    [InlineData("2001:db8::/32", "2001:db9::5", false)]
    [InlineData("10.0.0.0/8", "2001:db8::5", false)]
    public void Cidr_ranges_contain_exactly_their_addresses(string cidr, string ip, bool inside)
    {
        Assert.True(IpKeys.TryRange(cidr, out var low, out var high));
        var key = IpKeys.Key(ip)!;
        Assert.Equal(inside, string.CompareOrdinal(key, low) >= 0 && string.CompareOrdinal(key, high) <= 0);
    }
}
