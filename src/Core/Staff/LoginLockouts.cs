using System.Collections.Concurrent;

namespace WikiSessions.Core.Staff;

/// <summary>
/// What wrong passwords have shown, per staff account and client address: a pair (account, address) is locked first,
/// so one address cannot lock an account for everyone. The account as a whole needs evidence from
/// <see cref="StaffLoginOptions.AccountLockoutAddresses"/> distinct addresses within
/// <see cref="StaffLoginOptions.AccountLockoutWindow"/>. Addresses the account logged in from before stay usable.
/// </summary>
/// <remarks>
/// Kept in memory, bounded per account: several instances each count their own attempts, and a restart forgets the
/// pairs and the known addresses (the account-wide lock is in the store, so it holds across both).
/// </remarks>
public sealed class LoginLockouts(TimeProvider time)
{
    /// <summary>Addresses remembered per account, failing or known good; past it the stalest are forgotten.</summary>
    public const int MaxAddressesPerAccount = 1024;
    /// <summary>The address of an attempt that named none (a test, a command).</summary>
    public const string UnknownAddress = "(unknown)";

    private sealed class Pair
    {
        public int Failures;
        public int Lockouts;
        public DateTimeOffset? LockedUntil;
        public DateTimeOffset LastFailure;
    }

    private sealed class Account
    {
        public readonly Dictionary<string, Pair> Failing = new(StringComparer.Ordinal);
        public readonly Dictionary<string, DateTimeOffset> KnownGood = new(StringComparer.Ordinal);
        /// <summary>Failures before this were evidence for a lock that already happened.</summary>
        public DateTimeOffset EvidenceSince = DateTimeOffset.MinValue;
    }

    private readonly ConcurrentDictionary<int, Account> _accounts = new();

    /// <summary>Until when the pair is locked, if it is.</summary>
    public DateTimeOffset? PairLockedUntil(int accountId, string? address)
    {
        var account = _accounts.GetOrAdd(accountId, _ => new Account());
        lock (account)
            return account.Failing.TryGetValue(Key(address), out var pair) && pair.LockedUntil > time.GetUtcNow() ? pair.LockedUntil : null;
    }

    /// <summary>True when the account logged in from this address before (since this instance started).</summary>
    public bool IsKnownGood(int accountId, string? address)
    {
        var account = _accounts.GetOrAdd(accountId, _ => new Account());
        lock (account) return address is not null && account.KnownGood.ContainsKey(Key(address));
    }

    /// <summary>A login succeeded: the pair starts over and the address is known good from now on.</summary>
    public void Succeeded(int accountId, string? address)
    {
        var account = _accounts.GetOrAdd(accountId, _ => new Account());
        lock (account)
        {
            account.Failing.Remove(Key(address));
            if (address is null) return;
            account.KnownGood[Key(address)] = time.GetUtcNow();
            Trim(account.KnownGood, d => d);
        }
    }

    /// <summary>Counts a wrong password of the pair.</summary>
    /// <returns>
    /// The pair's new lockout, if this failure locked it; and how many distinct addresses failed for the account
    /// within the window, this one included.
    /// </returns>
    public (TimeSpan? PairLocked, int Addresses) Failed(int accountId, string? address, StaffLoginOptions options)
    {
        var now = time.GetUtcNow();
        var account = _accounts.GetOrAdd(accountId, _ => new Account());
        lock (account)
        {
            var key = Key(address);
            if (!account.Failing.TryGetValue(key, out var pair))
                account.Failing[key] = pair = new Pair();
            pair.LastFailure = now;
            TimeSpan? locked = null;
            if (!(pair.LockedUntil > now) && ++pair.Failures >= options.MaxFailures)
            {
                locked = StaffLogins.LockoutDuration(pair.Lockouts, options);
                pair.Failures = 0;
                pair.Lockouts++;
                pair.LockedUntil = now + locked;
            }
            Trim(account.Failing, p => p.LastFailure);
            var since = Max(now - options.AccountLockoutWindow, account.EvidenceSince);
            return (locked, account.Failing.Values.Count(p => p.LastFailure > since));
        }
    }

    /// <summary>The account was locked as a whole: its evidence is used up, the next lock needs new evidence.</summary>
    public void AccountLocked(int accountId, DateTimeOffset lockedAt)
    {
        var account = _accounts.GetOrAdd(accountId, _ => new Account());
        lock (account) account.EvidenceSince = Max(account.EvidenceSince, lockedAt);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string Key(string? address) => address is { Length: > 0 } ? address : UnknownAddress;

    private static void Trim<T>(Dictionary<string, T> entries, Func<T, DateTimeOffset> last)
    {
        if (entries.Count <= MaxAddressesPerAccount) return;
        foreach (var stale in entries.OrderBy(e => last(e.Value)).Take(entries.Count - MaxAddressesPerAccount).Select(e => e.Key).ToList())
            entries.Remove(stale);
    }
}
