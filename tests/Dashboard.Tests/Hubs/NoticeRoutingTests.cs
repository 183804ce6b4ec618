using Microsoft.Extensions.Options;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Hubs;

namespace WikiSessions.Dashboard.Tests.Hubs;

public class NoticeRoutingTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Invalidating_everyone_is_one_farm_wide_invalidation()
    {
        var notice = new SessionNotice(SessionEventKind.AdminAction, At, null, null, null, null, "steward: invalidate-everyone farm",
            EndReason: EndReason.EveryoneInvalidated, Wikis: []);

        var invalidation = Assert.Single(LiveFeed.Invalidations(notice));

        Assert.True(invalidation.FarmWide);
        Assert.Null(invalidation.Wiki);
    }

    [Fact]
    public void Invalidating_a_user_notifies_each_wiki_where_sessions_ended()
    {
        var notice = new SessionNotice(SessionEventKind.AdminAction, At, null, null, "Tintin", null, "steward: invalidate-user Tintin",
            EndReason: EndReason.UserInvalidated, Wikis: ["nowiki", "dewiki"]);

        var invalidations = LiveFeed.Invalidations(notice).ToList();

        Assert.Equal(["nowiki", "dewiki"], invalidations.Select(i => i.Wiki));
        Assert.All(invalidations, i => Assert.Equal(("Tintin", EndReason.UserInvalidated, false), (i.User, i.Reason, i.FarmWide)));
    }

    [Fact]
    public void A_global_logout_tells_the_other_wikis_their_sessions_ended_elsewhere()
    {
        var notice = new SessionNotice(SessionEventKind.LogoutTraceFinished, At, "nowiki", "00112233aabbccdd", "Tintin", ProviderKind.Cookie,
            "Global logout: complete", "trace", EndReason.LoggedOut, ["nowiki", "dewiki"]);

        var invalidations = LiveFeed.Invalidations(notice).ToDictionary(i => i.Wiki!);

        Assert.Equal(("00112233aabbccdd", EndReason.LoggedOut), (invalidations["nowiki"].SessionHandle, invalidations["nowiki"].Reason));
        Assert.Equal((null, EndReason.LoggedOutElsewhere), (invalidations["dewiki"].SessionHandle, invalidations["dewiki"].Reason));
    }

    [Fact]
    public void New_sessions_are_no_business_of_the_wiki_servers()
    {
        var notice = new SessionNotice(SessionEventKind.Created, At, "enwiki", "00112233aabbccdd", "Tintin", ProviderKind.Cookie, "Logged in");

        Assert.Empty(LiveFeed.Invalidations(notice));
    }

    [Fact]
    public void On_overflow_the_oldest_notices_are_dropped_and_counted()
    {
        var buffers = new NoticeBuffers(Options.Create(new LiveFeedOptions { BufferCapacity = 100 }));
        for (var i = 0; i < 250; i++)
            buffers.Add(new SessionNotice(SessionEventKind.Created, At, "enwiki", $"{i:x16}", "Burst", ProviderKind.Cookie, "burst"));

        var (first, dropped) = buffers.Staff.Take(60);
        var (rest, droppedSince) = buffers.Staff.Take(60);

        Assert.Equal(150, dropped);
        Assert.Equal(0, droppedSince);
        Assert.Equal($"{150:x16}", first[0].SessionHandle);
        Assert.Equal(60, first.Count);
        Assert.Equal(40, rest.Count);
    }
}
