using Bunit;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Tests.Components;

public class LiveFeedLinkTests : ComponentTest
{
    [Fact]
    public void Each_feed_entry_links_to_its_session_or_trace_its_wiki_and_its_user()
    {
        var at = Time.GetUtcNow();
        SessionNotice[] notices =
        [
            new(SessionEventKind.Created, at, "enwiki", "s-abc", Alice, ProviderKind.Cookie, "logged in"),
            new(SessionEventKind.LogoutTraceFinished, at, "dewiki", null, Bob, null, "logout traced", TraceId: "t-42"),
        ];
        Ctx.Render<MudPopoverProvider>();

        var cut = Ctx.Render<LiveFeed>(p => p.Add(f => f.Notices, notices));

        var links = cut.FindAll(".feed-item a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal(["/sessions/s-abc", "/wikis/enwiki", "/users/Sandbox%20Alice", "/traces/t-42", "/wikis/dewiki", "/users/Sandbox%20Bob"], links);
    }
}
