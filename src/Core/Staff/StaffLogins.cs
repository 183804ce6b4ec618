using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Staff;

/// <summary>A password login that succeeded: who, and the token of the new staff session (for the cookie only).</summary>
public sealed record StaffSignIn(StaffActor Actor, string SessionToken);

/// <summary>
/// Password logins to the dashboard. Every attempt costs one PBKDF2 verification and the same statements, whether the
/// name exists or not, so neither the answer nor its time names an account. Wrong passwords lock the account for a
/// while that doubles with each lockout; a locked or disabled account answers like a wrong password.
/// </summary>
public sealed class StaffLogins(
    IDbContextFactory<SessionsDb> dbFactory, StaffSessions sessions, FailedLoginLog failures,
    IOptions<StaffLoginOptions> options, TimeProvider time, ILogger<StaffLogins> logger)
{
    // A hash of a random password nobody knows: unknown names and malformed input are verified against it.
    private static readonly Lazy<string> DummyHash = new(() => Secrets.HashPassword(Secrets.NewToken()));
    private const string DummyPassword = "not a staff password";
    private long _verifications;

    /// <summary>PBKDF2 verifications run so far (each attempt runs exactly one).</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    /// <returns>The login, or null for a wrong name or password, a locked or disabled account, or malformed input.</returns>
    public async Task<StaffSignIn?> LoginAsync(string? name, string? password, CancellationToken cancellationToken = default)
    {
        name = name?.Trim();
        var wellFormed = !string.IsNullOrEmpty(name) && name.Length <= StaffLoginOptions.MaxNameLength
            && !string.IsNullOrEmpty(password) && password.Length <= StaffLoginOptions.MaxPasswordLength;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var account = wellFormed ? await db.Staff.AsNoTracking().FirstOrDefaultAsync(s => s.Name == name, cancellationToken) : null;

        Interlocked.Increment(ref _verifications);
        var matches = Secrets.VerifyPassword(wellFormed ? password! : DummyPassword, account?.PasswordHash ?? DummyHash.Value);
        var locked = account?.LockedUntil > now;
        if (account is not null && matches && !locked && !account.Disabled)
        {
            if (account.FailedLogins > 0 || account.Lockouts > 0 || account.LockedUntil is not null)
                await db.Staff.Where(s => s.Id == account.Id).ExecuteUpdateAsync(u => u
                    .SetProperty(s => s.FailedLogins, 0).SetProperty(s => s.Lockouts, 0).SetProperty(s => s.LockedUntil, (DateTimeOffset?)null), cancellationToken);
            var token = await sessions.StartAsync(account.Id, account.Name, account.Stamp, cancellationToken);
            return new StaffSignIn(new StaffActor(account.Name, account.Role), token);
        }

        failures.Record(name);
        if (wellFormed) await CountFailureAsync(db, name!, account?.Lockouts ?? 0, now, cancellationToken);
        return null;
    }

    /// <summary>
    /// Counts a wrong password and locks the account when it reaches the limit. Both statements run by name, for
    /// unknown names too (they match no row), so an unknown name costs the same as a known one.
    /// </summary>
    private async Task CountFailureAsync(SessionsDb db, string name, int lockoutsSeen, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = options.Value;
        await db.Staff.Where(s => s.Name == name && (s.LockedUntil == null || s.LockedUntil <= now))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.FailedLogins, s => s.FailedLogins + 1), cancellationToken);
        var duration = LockoutDuration(lockoutsSeen, o);
        var until = now + duration;
        // Only one of several concurrent attempts wins this update, so a lockout is logged once.
        var locked = await db.Staff.Where(s => s.Name == name && s.FailedLogins >= o.MaxFailures && s.Lockouts == lockoutsSeen)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.FailedLogins, 0).SetProperty(s => s.Lockouts, s => s.Lockouts + 1)
                .SetProperty(s => s.LockedUntil, until), cancellationToken);
        if (locked > 0)
            logger.LogWarning("Staff account {StaffName} locked for {Duration} after {Failures} wrong passwords (lockout {Lockout} since its last login)",
                LogText.Quote(name), duration, o.MaxFailures, lockoutsSeen + 1);
    }

    /// <summary>The first lockout lasts <see cref="StaffLoginOptions.FirstLockout"/>, each further one twice the one before, up to the cap.</summary>
    public static TimeSpan LockoutDuration(int lockoutsBefore, StaffLoginOptions options)
    {
        var factor = Math.Pow(2, Math.Min(lockoutsBefore, 30));
        var ticks = Math.Min(options.FirstLockout.Ticks * factor, options.MaxLockout.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
