using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>CentralAuth's token rule on the console's sessions: a logout on one wiki ends the user's sessions everywhere.</summary>
public sealed class CentralAuthLogoutTests
{
    private const string User = "Central Lou";

    private static async Task<(MediaWikiStore Store, Wiki En, Wiki De)> LoggedInAsync(TestFarm farm)
    {
        var (store, en) = await KaskBodies.StoreAsync(farm, "enwiki");
        var (_, de) = await KaskBodies.StoreAsync(farm, "dewiki");
        var expires = farm.Time.GetUtcNow().AddHours(1);
        var central = Encoding.UTF8.GetBytes($"PHP..a:4:{{s:9:\"sessionId\";s:4:\"c0de\";s:4:\"user\";{KaskBodies.S(User)}s:5:\"token\";s:4:\"t0k1\";s:6:\"expiry\";i:{expires.AddDays(1).ToUnixTimeSeconds()};}}");
        await store.PutAsync(await store.KeyAsync(en, "centralauth:session:c0de", default), central, default);
        await store.PutAsync(await store.KeyAsync(en, "enwiki:MWSession:en1", default), KaskBodies.PhpSession(User, expires, centralSessionId: "c0de"), default);
        await store.PutAsync(await store.KeyAsync(de, "dewiki:MWSession:de1", default), KaskBodies.PhpSession(User, expires, centralSessionId: "c0de"), default);
        return (store, en, de);
    }

    [Fact]
    public async Task A_logout_on_dewiki_ends_the_users_enwiki_session_and_central_session_as_one_trace()
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, en, de) = await LoggedInAsync(farm);
        var detail = await farm.UserQueries.UserAsync(User);
        Assert.Equal(["dewiki", "enwiki"], Assert.Single(detail.CentralSessions).Wikis);
        // enwiki read its session a moment ago: the store holds it in its cache.
        Assert.NotNull(await store.GetAsync(await store.KeyAsync(en, "enwiki:MWSession:en1", default), default));

        await store.DeleteAsync(await store.KeyAsync(de, "dewiki:MWSession:de1", default), default);
        farm.Time.Advance(TimeSpan.FromSeconds(2));

        detail = await farm.UserQueries.UserAsync(User);
        Assert.Empty(detail.ActiveSessions);
        Assert.Empty(detail.CentralSessions);
        // The enwiki key stays, dead: MediaWiki's next read of it is a miss.
        Assert.Null(await store.GetAsync(await store.KeyAsync(en, "enwiki:MWSession:en1", default), default));
        await using var db = farm.Db();
        var trace = await db.LogoutTraces.Include(t => t.Steps).SingleAsync();
        Assert.Equal((de.Id, LogoutScope.Global), (trace.StartedOnWikiId, trace.Scope));
        Assert.StartsWith("Observed:", trace.Steps.Single(s => s.WikiId == de.Id).Outcome);
        Assert.StartsWith("Inferred:", trace.Steps.Single(s => s.WikiId == en.Id).Outcome);
        Assert.Equal(EndReason.LoggedOutElsewhere, (await db.Sessions.SingleAsync(s => s.WikiId == en.Id)).EndReason);
    }

    [Fact]
    public async Task An_ID_rotation_of_a_CentralAuth_session_is_no_logout_and_ends_nothing_elsewhere()
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, _, de) = await LoggedInAsync(farm);

        await store.DeleteAsync(await store.KeyAsync(de, "dewiki:MWSession:de1", default), default);
        await store.PutAsync(await store.KeyAsync(de, "dewiki:MWSession:de2", default),
            KaskBodies.PhpSession(User, farm.Time.GetUtcNow().AddHours(1), centralSessionId: "c0de"), default);

        var detail = await farm.UserQueries.UserAsync(User);
        Assert.Equal(["dewiki", "enwiki"], detail.ActiveSessions.Select(s => s.Wiki).Order());
        Assert.Equal(["dewiki", "enwiki"], Assert.Single(detail.CentralSessions).Wikis);
        await using var db = farm.Db();
        Assert.False(await db.LogoutTraces.AnyAsync());
    }

    [Fact]
    public async Task A_central_value_in_memory_is_a_miss_once_a_bulk_invalidation_ended_its_user()
    {
        await using var farm = await TestFarm.StartAsync();
        var (store, en, _) = await LoggedInAsync(farm);
        var central = await store.KeyAsync(en, "centralauth:session:c0de", default);
        // enwiki read the central value a moment ago: the store holds it in its cache.
        Assert.NotNull(await store.GetAsync(central, default));

        // A bulk invalidation evicts each user it reached, not each key: the cached central value must go with its user.
        var jobs = farm.Services.GetRequiredService<BulkJobs>();
        var job = await jobs.StartAsync(TestFarm.Steward, BulkJobKind.InvalidateUsers, new SessionFilter(User: User), "Compromised", confirm: null);
        while (await jobs.StepAsync(job.Id)) { }

        Assert.True((await jobs.JobAsync(job.Id)).CheckPassed);
        Assert.Null(await store.GetAsync(central, default));
    }
}
