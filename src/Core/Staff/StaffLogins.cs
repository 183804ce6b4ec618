using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Staff;

/// <summary>A password login that succeeded: who, and the token of the new staff session (for the cookie only).</summary>
public sealed record StaffSignIn(StaffActor Actor, string SessionToken);

/// <summary>
/// Password logins to the dashboard. Every attempt costs one PBKDF2 verification and the same statements, whether the
/// name exists or not, so neither the answer nor its time names an account. Wrong passwords lock the pair (account,
/// client address) for a while that doubles with each lockout; the account as a whole is locked only on evidence from
/// many distinct addresses (<see cref="LoginLockouts"/>), and even then the addresses it logged in from before still
/// work. A locked or disabled account answers like a wrong password.
/// </summary>
public sealed class StaffLogins(
    IDbContextFactory<SessionsDb> dbFactory, StaffSessions sessions, FailedLoginLog failures, LoginLockouts lockouts,
    IOptions<StaffLoginOptions> options, TimeProvider time, ILogger<StaffLogins> logger)
{
    // A hash of a random password nobody knows: unknown names and malformed input are verified against it.
    private static readonly Lazy<string> DummyHash = new(() => Secrets.HashPassword(Secrets.NewToken()));
    private const string DummyPassword = "not a staff password";
    private long _verifications;

    /// <summary>PBKDF2 verifications run so far (each attempt runs exactly one).</summary>
    public long Verifications => Interlocked.Read(ref _verifications);

    /// <param name="address">The client address as the app sees it (after a configured proxy's forwarded headers).</param>
    /// <returns>The login, or null for a wrong name or password, a locked pair or account, a disabled account, or malformed input.</returns>
    public async Task<StaffSignIn?> LoginAsync(string? name, string? password, string? address = null, CancellationToken cancellationToken = default)
    {
        name = name?.Trim();
        var wellFormed = !string.IsNullOrEmpty(name) && name.Length <= StaffLoginOptions.MaxNameLength
            && !string.IsNullOrEmpty(password) && password.Length <= StaffLoginOptions.MaxPasswordLength;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var account = wellFormed ? await db.Staff.AsNoTracking().FirstOrDefaultAsync(s => s.Name == name, cancellationToken) : null;

        Interlocked.Increment(ref _verifications);
        var matches = Secrets.VerifyPassword(wellFormed ? password! : DummyPassword, account?.PasswordHash ?? DummyHash.Value);
        var locked = account is not null && (lockouts.PairLockedUntil(account.Id, address) is not null
            || (account.LockedUntil > now && !lockouts.IsKnownGood(account.Id, address)));
        if (account is not null && matches && !locked && !account.Disabled)
        {
            lockouts.Succeeded(account.Id, address);
            // A known address that gets in while the account is locked leaves the lock to the other addresses.
            if (!(account.LockedUntil > now) && (account.FailedLogins > 0 || account.Lockouts > 0 || account.LockedUntil is not null))
                await db.Staff.Where(s => s.Id == account.Id).ExecuteUpdateAsync(u => u
                    .SetProperty(s => s.FailedLogins, 0).SetProperty(s => s.Lockouts, 0).SetProperty(s => s.LockedUntil, (DateTimeOffset?)null), cancellationToken);
            var token = await sessions.StartAsync(account.Id, account.Name, account.Stamp, cancellationToken);
            return new StaffSignIn(new StaffActor(account.Name, account.Role), token);
        }

        failures.Record(name);
        if (wellFormed) await CountFailureAsync(db, name!, account, address, now, cancellationToken);
        return null;
    }

    /// <summary>
    /// Counts a wrong password: the pair is locked at <see cref="StaffLoginOptions.MaxFailures"/>, the account at
    /// <see cref="StaffLoginOptions.AccountLockoutAddresses"/> distinct failing addresses. Both statements run by name,
    /// for unknown names too (they match no row), so an unknown name costs the same as a known one.
    /// </summary>
    private async Task CountFailureAsync(SessionsDb db, string name, StaffAccount? account, string? address, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var o = options.Value;
        var (pairLocked, addresses) = account is null ? (null, 0) : lockouts.Failed(account.Id, address, o);
        if (pairLocked is { } pairDuration)
            logger.LogWarning("Staff logins of {StaffName} from {ClientAddress} locked for {Duration} after {Failures} wrong passwords from that address",
                LogText.Quote(name), LogText.Quote(address ?? LoginLockouts.UnknownAddress), pairDuration, o.MaxFailures);

        await db.Staff.Where(s => s.Name == name && (s.LockedUntil == null || s.LockedUntil <= now))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.FailedLogins, s => s.FailedLogins + 1), cancellationToken);
        var lockoutsSeen = account?.Lockouts ?? 0;
        var duration = LockoutDuration(lockoutsSeen, o);
        var until = now + duration;
        var evidence = addresses >= o.AccountLockoutAddresses;
        // Only one of several concurrent attempts wins this update, so a lockout is logged once.
        var locked = await db.Staff.Where(s => s.Name == name && evidence && s.Lockouts == lockoutsSeen && (s.LockedUntil == null || s.LockedUntil <= now))
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.FailedLogins, 0).SetProperty(s => s.Lockouts, s => s.Lockouts + 1)
                .SetProperty(s => s.LockedUntil, until), cancellationToken);
        if (locked > 0)
        {
            lockouts.AccountLocked(account!.Id, now);
            logger.LogWarning("Staff account {StaffName} locked for {Duration} after wrong passwords from {Addresses} addresses within {Window} " +
                "(lockout {Lockout} since its last login); addresses it logged in from before still work",
                LogText.Quote(name), duration, addresses, o.AccountLockoutWindow, lockoutsSeen + 1);
        }
    }

    /// <summary>The first lockout lasts <see cref="StaffLoginOptions.FirstLockout"/>, each further one twice the one before, up to the cap.</summary>
    public static TimeSpan LockoutDuration(int lockoutsBefore, StaffLoginOptions options)
    {
        var factor = Math.Pow(2, Math.Min(lockoutsBefore, 30));
        var ticks = Math.Min(options.FirstLockout.Ticks * factor, options.MaxLockout.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }
}
