using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Seeding;
using WikiSessions.Core.Staff;
using WikiSessions.Testing;

namespace WikiSessions.Core.Tests.Staff;

public sealed class StaffLoginTests : IAsyncLifetime
{
    private static readonly DemoStaff Steward = DemoCredentials.Read(SeededStore.SeedFolder).Staff.Single(s => s.Role == "steward");
    private TestFarm _farm = default!;

    public async Task InitializeAsync() => _farm = await TestFarm.StartAsync();
    public async Task DisposeAsync() => await _farm.DisposeAsync();

    private StaffLogins Logins => _farm.Services.GetRequiredService<StaffLogins>();
    private StaffSessions Sessions => _farm.Services.GetRequiredService<StaffSessions>();
    private StaffDirectory Directory => _farm.Services.GetRequiredService<StaffDirectory>();
    private FailedLoginLog FailureLog => _farm.Services.GetRequiredService<FailedLoginLog>();

    private const string Attacker = "203.0.113.66";
    private const string Office = "198.51.100.20";

    private LoginLockouts Lockouts => _farm.Services.GetRequiredService<LoginLockouts>();

    private async Task FailAsync(int times, string? name = null, string address = Attacker)
    {
        for (var i = 0; i < times; i++) Assert.Null(await Logins.LoginAsync(name ?? Steward.Name, "wrong password " + i, address));
    }

    /// <summary>The lock of the account as a whole, in the store.</summary>
    private async Task<DateTimeOffset?> LockedUntilAsync()
    {
        await using var db = _farm.Db();
        return await db.Staff.Where(s => s.Name == Steward.Name).Select(s => s.LockedUntil).SingleAsync();
    }

    private async Task<DateTimeOffset?> PairLockedUntilAsync(string address)
    {
        await using var db = _farm.Db();
        return Lockouts.PairLockedUntil(await db.Staff.Where(s => s.Name == Steward.Name).Select(s => s.Id).SingleAsync(), address);
    }

    // The lockout was of the account as a whole: five wrong passwords from one address locked it for everyone. It is now
    // of the pair (account, address); the account as a whole is the subject of the tests on many addresses below.
    [Fact]
    public async Task Five_wrong_passwords_from_one_address_lock_that_address_out_for_a_minute_and_the_right_one_answers_like_a_wrong_one_from_it()
    {
        await FailAsync(4);
        Assert.Null(await PairLockedUntilAsync(Attacker));
        await FailAsync(1);
        Assert.Equal(TestFarm.Start + TimeSpan.FromMinutes(1), await PairLockedUntilAsync(Attacker));
        Assert.Null(await LockedUntilAsync());

        Assert.Null(await Logins.LoginAsync(Steward.Name, Steward.Password, Attacker));
        await FailAsync(10);
        _farm.Time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(await Logins.LoginAsync(Steward.Name, Steward.Password, Attacker));

        _farm.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, Attacker));
        Assert.Single(_farm.Logs.Messages, m => m.Contains("locked for", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Each_lockout_of_an_address_lasts_twice_as_long_as_the_one_before_up_to_the_cap_and_a_login_starts_over()
    {
        foreach (var minutes in new[] { 1, 2, 4, 8, 16, 32, 60, 60 })
        {
            var now = _farm.Time.GetUtcNow();
            await FailAsync(5);
            Assert.Equal(now + TimeSpan.FromMinutes(minutes), await PairLockedUntilAsync(Attacker));
            _farm.Time.Advance(TimeSpan.FromMinutes(minutes));
        }
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, Attacker));
        var start = _farm.Time.GetUtcNow();
        await FailAsync(5);
        Assert.Equal(start + TimeSpan.FromMinutes(1), await PairLockedUntilAsync(Attacker));
    }

    [Fact]
    public async Task Wrong_passwords_from_one_address_do_not_lock_the_account_for_its_known_address_or_anyone_else()
    {
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, Office));

        await FailAsync(10);
        _farm.Time.Advance(TimeSpan.FromSeconds(1));
        await FailAsync(5);

        Assert.NotNull(await PairLockedUntilAsync(Attacker));
        Assert.Null(await LockedUntilAsync());
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, Office));
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.44"));
        Assert.Null(await Logins.LoginAsync(Steward.Name, Steward.Password, Attacker));
    }

    [Fact]
    public async Task The_account_is_locked_as_a_whole_only_on_wrong_passwords_from_many_addresses_and_its_known_address_still_gets_in()
    {
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, Office));
        var options = _farm.Services.GetRequiredService<IOptions<StaffLoginOptions>>().Value;
        Assert.Equal(10, options.AccountLockoutAddresses);
        Assert.Equal(TimeSpan.FromMinutes(15), options.AccountLockoutWindow);

        for (var i = 1; i < options.AccountLockoutAddresses; i++) await FailAsync(2, address: $"203.0.113.{i}");
        Assert.Null(await LockedUntilAsync());
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.44"));

        _farm.Time.Advance(TimeSpan.FromMinutes(1));
        await FailAsync(1, address: "203.0.113.200");
        Assert.Equal(_farm.Time.GetUtcNow() + TimeSpan.FromMinutes(1), await LockedUntilAsync());
        Assert.Single(_farm.Logs.Messages, m => m.Contains("locked for", StringComparison.Ordinal) && m.Contains("10 addresses", StringComparison.Ordinal));

        Assert.Null(await Logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.45"));
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, Office));
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.44"));
    }

    [Fact]
    public async Task Wrong_passwords_from_addresses_spread_wider_than_the_window_do_not_lock_the_account_and_the_number_is_a_setting()
    {
        await using var farm = await TestFarm.StartAsync(configuration: new()
        {
            ["StaffLogin:AccountLockoutAddresses"] = "3", ["StaffLogin:AccountLockoutWindow"] = "00:05:00",
        });
        var logins = farm.Services.GetRequiredService<StaffLogins>();
        Assert.Null(await logins.LoginAsync(Steward.Name, "wrong", "203.0.113.1"));
        Assert.Null(await logins.LoginAsync(Steward.Name, "wrong", "203.0.113.2"));
        farm.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Null(await logins.LoginAsync(Steward.Name, "wrong", "203.0.113.3"));
        Assert.NotNull(await logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.44"));

        Assert.Null(await logins.LoginAsync(Steward.Name, "wrong", "203.0.113.4"));
        Assert.Null(await logins.LoginAsync(Steward.Name, "wrong", "203.0.113.5"));
        Assert.Null(await logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.45"));
        Assert.NotNull(await logins.LoginAsync(Steward.Name, Steward.Password, "192.0.2.44"));
    }

    [Fact]
    public async Task A_disabled_account_answers_like_a_wrong_password()
    {
        await Directory.SetDisabledAsync(Steward.Name, true);
        Assert.Null(await Logins.LoginAsync(Steward.Name, Steward.Password));
        await Directory.SetDisabledAsync(Steward.Name, false);
        Assert.NotNull(await Logins.LoginAsync(Steward.Name, Steward.Password));
    }

    [Fact]
    public async Task Known_unknown_empty_and_oversized_names_each_cost_one_password_hash()
    {
        var inputs = new (string? Name, string? Password)[]
        {
            (Steward.Name, "wrong"), ("nobody-here", "wrong"), ("", "wrong"), (null, null),
            (new string('x', 1_000_000), "wrong"), (Steward.Name, new string('p', 1025)), ("nobody-here", ""),
        };
        foreach (var (name, password) in inputs)
        {
            var before = Logins.Verifications;
            Assert.Null(await Logins.LoginAsync(name, password));
            Assert.Equal(before + 1, Logins.Verifications);
        }

        // Both go through PBKDF2 (tens of milliseconds); the old unknown-name path took a tenth of a known one.
        var known = await MedianAsync(() => Logins.LoginAsync(Steward.Name, "wrong"));
        var unknown = await MedianAsync(() => Logins.LoginAsync("nobody-here", "wrong"));
        Assert.True(unknown > known / 3 && known > unknown / 3, $"known {known.TotalMilliseconds} ms, unknown {unknown.TotalMilliseconds} ms");
    }

    private static async Task<TimeSpan> MedianAsync(Func<Task> attempt)
    {
        var times = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            await attempt();
            times.Add(watch.Elapsed);
        }
        return times.Order().ElementAt(2);
    }

    [Fact]
    public async Task Failed_logins_are_logged_as_one_line_with_counts_and_quoted_cut_names()
    {
        await FailAsync(10);
        await FailAsync(1, "mallory\n[12:00:00 INF] steward logged in to the dashboard as Steward");
        await FailAsync(1, new string('m', 1_000_000));
        Assert.DoesNotContain(_farm.Logs.Messages, m => m.Contains("failed staff logins", StringComparison.Ordinal));

        FailureLog.Flush();
        var summary = Assert.Single(_farm.Logs.Messages, m => m.Contains("failed staff logins", StringComparison.Ordinal));
        Assert.StartsWith("12 failed staff logins in the last", summary);
        Assert.Contains("10 for 'steward'", summary);
        Assert.Contains("1 for 'mallory\\n[12:00:00 INF] steward logged in", summary);
        Assert.DoesNotContain('\n', summary.TrimEnd());
        Assert.True(summary.Length < 1000, $"a line of {summary.Length} characters");
        Assert.All(_farm.Logs.Messages, m => Assert.True(m.Length < 2000 && !m.Contains("\n[12:00:00 INF]", StringComparison.Ordinal)));

        FailureLog.Flush();
        Assert.Single(_farm.Logs.Messages, m => m.Contains("failed staff logins", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("steward", "'steward'")]
    [InlineData("a\nb\r\tc", "'a\\nb\\r\\tc'")]
    [InlineData("it's", "'it\\'s'")]
    [InlineData("bell\u0007 and \u202e", "'bell\\u0007 and \\u202e'")]
    [InlineData(null, "(none)")]
    public void Log_text_is_quoted_and_control_characters_escaped(string? text, string expected) =>
        Assert.Equal(expected, LogText.Quote(text));

    [Fact]
    public void Log_text_is_cut_at_64_characters()
    {
        var quoted = LogText.Quote(new string('a', 1_000_000));
        Assert.Equal("'" + new string('a', 64) + "'… (1000000 chars)", quoted);
    }

    [Fact]
    public async Task Logout_ends_the_staff_session()
    {
        var login = await Logins.LoginAsync(Steward.Name, Steward.Password);
        Assert.NotNull(await Sessions.ValidateAsync(login!.SessionToken));
        await Sessions.EndAsync(login.SessionToken);
        Assert.Null(await Sessions.ValidateAsync(login.SessionToken));
        Assert.Null(await Sessions.ValidateAsync("not a token"));
    }

    public static TheoryData<string> Changes => ["password", "token", "role", "disabled"];

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_changed_credential_or_role_or_a_disabled_account_ends_every_staff_session_of_the_account(string change)
    {
        var first = await Logins.LoginAsync(Steward.Name, Steward.Password);
        var second = await Logins.LoginAsync(Steward.Name, Steward.Password);
        var other = await Logins.LoginAsync("developer", DemoCredentials.Read(SeededStore.SeedFolder).Staff.Single(s => s.Role == "developer").Password);

        Assert.True(change switch
        {
            "password" => await Directory.ChangePasswordAsync(Steward.Name, "a new password"),
            "token" => await Directory.NewTokenAsync(Steward.Name) is not null,
            "role" => await Directory.ChangeRoleAsync(Steward.Name, StaffRole.Support),
            _ => await Directory.SetDisabledAsync(Steward.Name, true),
        });

        Assert.Null(await Sessions.ValidateAsync(first!.SessionToken));
        Assert.Null(await Sessions.ValidateAsync(second!.SessionToken));
        Assert.NotNull(await Sessions.ValidateAsync(other!.SessionToken));
        await using var db = _farm.Db();
        Assert.Equal(2, await db.StaffSessions.CountAsync(s => s.Name == Steward.Name && s.EndedAt != null));
    }

    [Fact]
    public async Task A_token_change_or_a_disabled_account_stops_the_old_token()
    {
        Assert.NotNull(await Directory.VerifyTokenAsync(Steward.Token));
        var fresh = await Directory.NewTokenAsync(Steward.Name);
        Assert.Null(await Directory.VerifyTokenAsync(Steward.Token));
        Assert.NotNull(await Directory.VerifyTokenAsync(fresh!));
        await Directory.SetDisabledAsync(Steward.Name, true);
        Assert.Null(await Directory.VerifyTokenAsync(fresh!));
    }

    [Fact]
    public async Task Use_slides_the_session_but_the_absolute_lifetime_ends_it()
    {
        var login = await Logins.LoginAsync(Steward.Name, Steward.Password);
        for (var hour = 1; hour < 12; hour++)
        {
            _farm.Time.Advance(TimeSpan.FromHours(1));
            Assert.NotNull(await Sessions.ValidateAsync(login!.SessionToken));
        }
        _farm.Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await Sessions.ValidateAsync(login!.SessionToken));
    }

    [Fact]
    public async Task An_unused_session_ends_after_the_idle_timeout()
    {
        var login = await Logins.LoginAsync(Steward.Name, Steward.Password);
        _farm.Time.Advance(TimeSpan.FromHours(8));
        Assert.Null(await Sessions.ValidateAsync(login!.SessionToken));
    }
}
