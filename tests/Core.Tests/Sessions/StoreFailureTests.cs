using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace WikiSessions.Core.Tests.Sessions;

public class StoreFailureTests
{
    [Fact]
    public async Task An_outage_logs_one_line_with_the_exception_then_a_count_and_records_the_failures_per_wiki_once_the_store_is_back()
    {
        await using var farm = await TestFarm.StartAsync(o => o.StoreFailureReportInterval = TimeSpan.FromMinutes(1));
        var notices = new List<SessionNotice>();
        using var _ = farm.Feed.Subscribe(n => { lock (notices) notices.Add(n); });
        var reporter = farm.Services.GetRequiredService<StoreFailureReporter>();

        farm.Store.SimulateOutage(TimeSpan.FromMinutes(10));
        for (var i = 0; i < 40; i++)
            await Assert.ThrowsAsync<SessionException>(() => farm.ResolveAsync(i % 4 == 0 ? "dewiki" : "enwiki", new Dictionary<string, string> { ["enwiki_session"] = new string('a', 32) }));
        Assert.Equal(0, await reporter.ReportAsync()); // the store is still down: nothing written, the counts stay

        farm.Time.Advance(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<SessionException>(() => farm.LoginAsync(TestFarm.Bob));
        farm.Store.EndOutage();
        var pendingWikis = string.Join(", ", farm.Store.Pending().Select(p => $"{p.Wiki}={p.Count}"));
        Assert.True(2 == await reporter.ReportAsync(), pendingWikis);

        var failureLines = farm.Logs.Messages.Where(m => m.StartsWith("Session store failure")).ToList();
        // The first failure with its exception; then, when the interval closed, one line with the count of the other 39;
        // then the first failure of the next interval with its exception.
        Assert.True(3 == failureLines.Count, string.Join("\n---\n", failureLines.Select(l => l[..Math.Min(400, l.Length)])));
        Assert.True(2 == failureLines.Count(m => m.Contains("   at ")), string.Join("\n---\n", failureLines.Select(l => l[..Math.Min(400, l.Length)])));
        Assert.Single(failureLines, m => m.Contains("39 more times"));

        await using var db = farm.Db();
        var recorded = await db.Events.Where(e => e.Kind == SessionEventKind.StoreFailure).Select(e => e.Detail).ToListAsync();
        Assert.Contains(recorded, d => d.StartsWith("31 requests failed"));
        Assert.Contains(recorded, d => d.StartsWith("10 requests failed"));
        Assert.Empty(farm.Store.Pending());

        // The dashboard heard of each wiki's first failure at once, then of the counts: never a notice per request.
        var storeNotices = notices.Where(n => n.Kind == SessionEventKind.StoreFailure).ToList();
        Assert.True(storeNotices.Count <= 6, $"{storeNotices.Count} notices");
        Assert.Contains(storeNotices, n => n.Wiki == "enwiki" && n.Detail.StartsWith("31 requests failed"));
    }

    [Fact]
    public void A_notice_is_small_whatever_its_input()
    {
        var huge = new string('x', 500_000);
        var notice = new SessionNotice(SessionEventKind.Refused, TestFarm.Start, huge, huge, huge + "\ud800", ProviderKind.BotPassword,
            "Bot password '" + huge + "' does not exist", huge, null, Enumerable.Repeat(huge, 5000).ToList()).Bounded();

        Assert.True(notice.Detail.Length <= SessionNotice.MaxDetail);
        Assert.True(notice.User!.Length <= SessionNotice.MaxName);
        Assert.True(notice.Wiki!.Length <= SessionNotice.MaxName);
        Assert.True(notice.Wikis!.Count <= SessionNotice.MaxWikis + 1);
        Assert.All(notice.Wikis, w => Assert.True(w.Length <= SessionNotice.MaxName));
        Assert.True(BoundedText.IsWellFormed("ok " + notice.User));
        Assert.Equal("ab\uFFFDc", BoundedText.Cut("ab\udc00c", 10));
        Assert.Equal("a\U0001F600", BoundedText.Cut("a\U0001F600", 3));
        Assert.Equal("a…", BoundedText.Cut("a\U0001F600b", 3)); // never half a surrogate pair
    }
}
