using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Tests.Staff;

/// <summary>Stewards manage staff accounts: audited, checked, and never without an active steward.</summary>
public sealed class StaffAccountsTests : IAsyncLifetime
{
    private TestFarm _farm = default!;

    public async Task InitializeAsync() => _farm = await TestFarm.StartAsync();
    public async Task DisposeAsync() => await _farm.DisposeAsync();

    private StaffAccounts Accounts => _farm.Services.GetRequiredService<StaffAccounts>();
    private StaffSessions Sessions => _farm.Services.GetRequiredService<StaffSessions>();

    private async Task<string> DashboardLoginAsync(string name)
    {
        await using var db = _farm.Db();
        var account = await db.Staff.AsNoTracking().SingleAsync(s => s.Name == name);
        return await Sessions.StartAsync(account.Id, account.Name, account.Stamp);
    }

    private async Task<IReadOnlyList<string>> AuditAsync() => (await _farm.FarmQueries.AuditAsync()).Items.Select(a => a.Action).ToList();

    [Fact]
    public async Task Nobody_can_demote_or_disable_the_last_active_steward()
    {
        var demote = await Assert.ThrowsAsync<SessionException>(() => Accounts.ChangeRoleAsync(TestFarm.Steward, "steward", StaffRole.Developer, "Reorganisation"));
        var disable = await Assert.ThrowsAsync<SessionException>(() => Accounts.SetDisabledAsync(TestFarm.Steward, "steward", true, "Leaving"));

        Assert.Equal((Failure.Conflict, Failure.Conflict), (demote.Failure, disable.Failure));
        Assert.Contains("last active steward", demote.Message);
        var steward = await Accounts.AccountAsync(TestFarm.Steward, "steward");
        Assert.Equal((StaffRole.Steward, false), (steward.Role, steward.Disabled));
        Assert.Empty(await AuditAsync());

        // With a second steward, the first may step down.
        await Accounts.ChangeRoleAsync(TestFarm.Steward, "developer", StaffRole.Steward, "Second steward");
        var done = await Accounts.ChangeRoleAsync(TestFarm.Steward, "steward", StaffRole.Developer, "Reorganisation");
        Assert.True(done.Check.Passed, done.Check.Summary);
    }

    [Fact]
    public async Task A_role_change_ends_the_members_dashboard_logins_and_is_audited()
    {
        var token = await DashboardLoginAsync("developer");
        Assert.Equal(1, (await Accounts.AccountAsync(TestFarm.Steward, "developer")).ActiveSessions);

        var done = await Accounts.ChangeRoleAsync(TestFarm.Steward, "developer", StaffRole.Support, "Moved to the help desk");

        Assert.True(done.Check.Passed, done.Check.Summary);
        Assert.Equal(1, done.SessionsEnded);
        Assert.Null(await Sessions.ValidateAsync(token));
        var entry = Assert.Single((await _farm.FarmQueries.AuditAsync()).Items);
        Assert.Equal(("staff-role", "developer", "Moved to the help desk"), (entry.Action, entry.Target, entry.Reason));
        Assert.Equal("Role of developer changed from developer to support; 1 dashboard sessions ended.", entry.Detail);
        var view = await Accounts.AccountAsync(TestFarm.Steward, "developer");
        Assert.Equal((StaffRole.Support, 0), (view.Role, view.ActiveSessions));
        Assert.NotNull(view.LastLoginAt);
    }

    [Fact]
    public async Task A_new_account_password_and_token_are_shown_once_and_work()
    {
        var added = await Accounts.AddAsync(TestFarm.Steward, "New Steward", StaffRole.Steward, "Hired");
        var password = await Accounts.ResetPasswordAsync(TestFarm.Steward, "support", "Forgot it");
        var token = await Accounts.NewTokenAsync(TestFarm.Steward, "support", "Token in a public script");

        Assert.All(new[] { added.Check, password.Check, token.Check }, c => Assert.True(c.Passed, c.Summary));
        var logins = _farm.Services.GetRequiredService<StaffLogins>();
        Assert.NotNull(await logins.LoginAsync("New Steward", added.Password));
        Assert.NotNull(await logins.LoginAsync("support", password.Password));
        var directory = _farm.Services.GetRequiredService<StaffDirectory>();
        Assert.Equal(StaffRole.Steward, (await directory.VerifyTokenAsync(added.Token!))!.Role);
        Assert.Equal("support", (await directory.VerifyTokenAsync(token.Token!))!.Name);
        await using var db = _farm.Db();
        Assert.DoesNotContain(await db.Audit.Select(a => a.Detail).ToListAsync(), d => d.Contains(added.Password!) || d.Contains(token.Token!));
        var again = await Assert.ThrowsAsync<SessionException>(() => Accounts.AddAsync(TestFarm.Steward, "New Steward", StaffRole.Support, "Twice"));
        Assert.Equal(Failure.Conflict, again.Failure);
    }

    [Fact]
    public async Task Disabling_ends_logins_and_the_token_and_ending_sessions_keeps_the_credentials()
    {
        var token = await DashboardLoginAsync("support");
        var ended = await Accounts.EndSessionsAsync(TestFarm.Steward, "support", "Left a laptop unlocked");
        Assert.True(ended.Check.Passed, ended.Check.Summary);
        Assert.Equal(1, ended.SessionsEnded);
        Assert.Null(await Sessions.ValidateAsync(token));

        var disabled = await Accounts.SetDisabledAsync(TestFarm.Steward, "support", true, "Left the team");
        Assert.True(disabled.Check.Passed, disabled.Check.Summary);
        Assert.True((await Accounts.AccountAsync(TestFarm.Steward, "support")).Disabled);
        Assert.Equal(["staff-disable", "staff-end-sessions"], await AuditAsync());
    }

    [Fact]
    public async Task Dashboard_logins_that_outlive_ending_them_fail_the_check()
    {
        var token = await DashboardLoginAsync("support");
        // A store that does not keep the end: every ended staff session comes back.
        await using (var db = _farm.Db())
            await db.Database.ExecuteSqlRawAsync("CREATE TRIGGER keep_staff_sessions AFTER UPDATE OF EndedAt ON StaffSessions BEGIN UPDATE StaffSessions SET EndedAt = NULL WHERE Id = NEW.Id; END;");

        var ended = await Accounts.EndSessionsAsync(TestFarm.Steward, "support", "Left a laptop unlocked");

        Assert.False(ended.Check.Passed);
        Assert.Equal("Check failed for support: 1 dashboard sessions still let their browser in. Run the change again, and report it.", ended.Check.Summary);
        Assert.Contains("check-failed", await AuditAsync());
        Assert.NotNull(await Sessions.ValidateAsync(token));
    }

    [Fact]
    public async Task Only_stewards_manage_staff_and_a_refusal_changes_nothing()
    {
        var developer = new StaffActor("developer", StaffRole.Developer);
        var refusals = new Func<Task>[]
        {
            () => Accounts.ListAsync(developer),
            () => Accounts.AddAsync(developer, "Someone", StaffRole.Steward, "Me"),
            () => Accounts.ChangeRoleAsync(developer, "developer", StaffRole.Steward, "Promote myself"),
            () => Accounts.ResetPasswordAsync(developer, "steward", "Take over"),
            () => Accounts.EndSessionsAsync(new StaffActor("support", StaffRole.Support), "steward", "Annoy"),
        };
        foreach (var refused in refusals)
            Assert.Equal(Failure.Forbidden, (await Assert.ThrowsAsync<SessionException>(refused)).Failure);
        Assert.Equal(Failure.Invalid, (await Assert.ThrowsAsync<SessionException>(() => Accounts.NewTokenAsync(TestFarm.Steward, "support", " "))).Failure);
        Assert.Equal(Failure.NotFound, (await Assert.ThrowsAsync<SessionException>(() => Accounts.NewTokenAsync(TestFarm.Steward, "nobody", "Why"))).Failure);
        Assert.Empty(await AuditAsync());
        Assert.Equal(StaffRole.Developer, (await Accounts.AccountAsync(TestFarm.Steward, "developer")).Role);
    }
}
