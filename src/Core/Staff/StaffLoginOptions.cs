namespace WikiSessions.Core.Staff;

/// <summary>Staff login settings, bound from the <c>StaffLogin</c> configuration section.</summary>
public sealed class StaffLoginOptions
{
    /// <summary>Wrong passwords in a row from one address that lock that address out of the account (the pair).</summary>
    public int MaxFailures { get; set; } = 5;
    /// <summary>
    /// Distinct addresses with wrong passwords for one account within <see cref="AccountLockoutWindow"/> that lock the
    /// account as a whole; addresses it logged in from before still get in.
    /// </summary>
    public int AccountLockoutAddresses { get; set; } = 10;
    /// <summary>How far back wrong passwords count as evidence against the account as a whole.</summary>
    public TimeSpan AccountLockoutWindow { get; set; } = TimeSpan.FromMinutes(15);
    /// <summary>How long the first lockout lasts; each further one lasts twice as long.</summary>
    public TimeSpan FirstLockout { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>The longest lockout.</summary>
    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromHours(1);
    /// <summary>A staff session ends after this much inactivity (the cookie slides with use).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(8);
    /// <summary>A staff session ends this long after login, however active.</summary>
    public TimeSpan AbsoluteLifetime { get; set; } = TimeSpan.FromHours(12);
    /// <summary>How often live dashboard circuits and hub connections re-check their staff session or token.</summary>
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>Failed logins are logged as one summary line per interval, never one line each.</summary>
    public TimeSpan FailureLogInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Longer names are refused before any lookup (the store's limit).</summary>
    public const int MaxNameLength = 85;
    /// <summary>Longer passwords are refused before hashing.</summary>
    public const int MaxPasswordLength = 1024;
}
