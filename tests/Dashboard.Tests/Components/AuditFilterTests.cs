using Bunit;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Pages.Audit;

namespace WikiSessions.Dashboard.Tests.Components;

public class AuditFilterTests : ComponentTest
{
    private static readonly StaffActor Steward = new("steward", StaffRole.Steward);
    private static readonly StaffActor Other = new("other-steward", StaffRole.Steward);

    [Fact]
    public async Task The_audit_log_filters_by_actor_action_target_and_time_in_the_database_and_names_its_time_zone()
    {
        await Admin.InvalidateUserAsync(Steward, Bob, "Asked by the user");
        Time.Advance(TimeSpan.FromHours(2));
        await Admin.InvalidateUserAsync(Other, Carol, "Compromised");
        await Admin.PreventUserAsync(Steward, Carol, "Spam account");
        Ctx.Render<MudPopoverProvider>();

        var cut = Ctx.Render<AuditPage>();
        cut.WaitForAssertion(() => Assert.Equal(3, cut.FindAll("#audit-grid tbody tr").Count));
        Assert.Contains("When (UTC)", cut.Find("#audit-grid thead").TextContent);

        cut.Find("input#audit-target").Change(Carol);
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("#audit-grid tbody tr").Count));
        cut.Find("input#audit-actor").Change("steward");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("#audit-grid tbody tr")));
        Assert.Contains("Spam account", cut.Find("#audit-grid tbody").TextContent);
        cut.Find("input#audit-action").Change("invalidate-user");
        cut.WaitForAssertion(() => Assert.Contains("No entry matches these filters", cut.Find("#audit-empty").TextContent));

        // The time window, in the query itself: the first entry is two hours old.
        var lastHour = await FarmQueries.AuditAsync(new AuditFilter(From: Time.GetUtcNow() - TimeSpan.FromHours(1)));
        Assert.Equal(2, lastHour.Total);
        Assert.DoesNotContain(lastHour.Items, a => a.Target == Bob);
        var paged = await FarmQueries.AuditAsync(new AuditFilter(Target: Carol), page: 2, pageSize: 1);
        Assert.Equal((2, "invalidate-user"), (paged.Total, Assert.Single(paged.Items).Action));
        var backwards = await Assert.ThrowsAsync<SessionException>(() =>
            FarmQueries.AuditAsync(new AuditFilter(From: Time.GetUtcNow(), To: Time.GetUtcNow().AddHours(-1))));
        Assert.Contains("ends before it starts", backwards.Message);
    }
}
