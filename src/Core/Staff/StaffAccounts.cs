using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Staff;

/// <summary>A staff account as stewards see it: never its secrets.</summary>
/// <param name="LastLoginAt">The newest dashboard login the store still keeps (staff sessions are deleted a day after they end).</param>
/// <param name="LockedUntil">Password logins are refused until then, from addresses the account never logged in from.</param>
/// <param name="ActiveSessions">Dashboard logins that still let their browser in.</param>
public sealed record StaffAccountView(string Name, StaffRole Role, bool Disabled, bool IsDemo, DateTimeOffset? LastLoginAt,
    DateTimeOffset? LockedUntil, int FailedLogins, int ActiveSessions);

/// <summary>Whether a staff change holds when read back from the store.</summary>
public sealed record StaffCheck(bool Passed, string Summary);

/// <summary>What a staff change did; a new password or API token is in the answer once and never stored in clear.</summary>
public sealed record StaffChange(string Action, string Target, string Detail, int SessionsEnded, StaffCheck Check)
{
    public string? Password { get; init; }
    public string? Token { get; init; }
}

/// <summary>
/// Stewards manage staff accounts. Each change needs a steward and a reason, runs in one transaction, is audited, and
/// answers with a check read back from the store. No change may leave the farm without an active steward. Every change
/// but ending sessions gives the account a new stamp, which ends its dashboard logins (see <see cref="StaffDirectory"/>).
/// </summary>
public sealed class StaffAccounts(
    IDbContextFactory<SessionsDb> dbFactory, WriteGate writes, IOptions<StaffLoginOptions> options, TimeProvider time, ILogger<StaffAccounts> logger)
{
    public async Task<IReadOnlyList<StaffAccountView>> ListAsync(StaffActor actor, CancellationToken cancellationToken = default)
    {
        Authorize(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var accounts = await db.Staff.AsNoTracking().OrderBy(s => s.Name).ToListAsync(cancellationToken);
        var views = new List<StaffAccountView>();
        foreach (var a in accounts) views.Add(await ViewAsync(db, a, cancellationToken));
        return views;
    }

    public async Task<StaffAccountView> AccountAsync(StaffActor actor, string name, CancellationToken cancellationToken = default)
    {
        Authorize(actor);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await ViewAsync(db, await FindAsync(db, name, cancellationToken), cancellationToken);
    }

    /// <summary>Adds an account with a new password and API token, both in the answer once.</summary>
    public async Task<StaffChange> AddAsync(StaffActor actor, string name, StaffRole role, string reason, CancellationToken cancellationToken = default)
    {
        reason = Authorize(actor, reason);
        name = name.Trim();
        if (name.Length is 0 or > StaffLoginOptions.MaxNameLength)
            throw new SessionException(Failure.Invalid, $"A staff name has 1 to {StaffLoginOptions.MaxNameLength} characters.");
        var (password, token) = (Secrets.NewToken(), Secrets.NewToken());
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        await using (var tx = await writes.BeginAsync(db, cancellationToken))
        {
            if (await db.Staff.AnyAsync(s => s.Name == name, cancellationToken))
                throw new SessionException(Failure.Conflict, $"There is already a staff account named '{name}'; nothing was changed.");
            db.Staff.Add(new StaffAccount
            {
                Name = name, Role = role, PasswordHash = Secrets.HashPassword(password), TokenHash = Secrets.Sha256(token), Stamp = StaffDirectory.NewStamp(),
            });
            Audit(db, actor, "staff-add", name, reason, $"Added {name} as {Role(role)}; a password and an API token were shown once.");
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        var check = await CheckAsync(actor, reason, "staff-add", name, a =>
            a.Role != role ? $"its role is {Role(a.Role)}, not {Role(role)}"
            : a.TokenHash != Secrets.Sha256(token) ? "its API token is not the one shown"
            : !Secrets.VerifyPassword(password, a.PasswordHash) ? "its password is not the one shown" : null, cancellationToken);
        return new StaffChange("staff-add", name, $"Added {name} as {Role(role)}.", 0, check) { Password = password, Token = token };
    }

    public Task<StaffChange> ChangeRoleAsync(StaffActor actor, string name, StaffRole role, string reason, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, name, reason, "staff-role", a =>
        {
            if (a.Role == role) throw new SessionException(Failure.Conflict, $"{a.Name} is already {Role(role)}; nothing was changed.");
            var from = a.Role;
            a.Role = role;
            return $"Role of {a.Name} changed from {Role(from)} to {Role(role)}";
        }, a => a.Role == role ? null : $"its role is {Role(a.Role)}, not {Role(role)}", cancellationToken);

    public Task<StaffChange> SetDisabledAsync(StaffActor actor, string name, bool disabled, string reason, CancellationToken cancellationToken = default) =>
        ChangeAsync(actor, name, reason, disabled ? "staff-disable" : "staff-enable", a =>
        {
            if (a.Disabled == disabled) throw new SessionException(Failure.Conflict, $"{a.Name} is already {(disabled ? "disabled" : "enabled")}; nothing was changed.");
            a.Disabled = disabled;
            return disabled ? $"{a.Name} disabled: no login, and the API token stops working" : $"{a.Name} enabled";
        }, a => a.Disabled == disabled ? null : $"it is {(a.Disabled ? "still disabled" : "not disabled")}", cancellationToken);

    /// <summary>A new password, in the answer once; the old one stops working.</summary>
    public async Task<StaffChange> ResetPasswordAsync(StaffActor actor, string name, string reason, CancellationToken cancellationToken = default)
    {
        var password = Secrets.NewToken();
        var change = await ChangeAsync(actor, name, reason, "staff-reset-password", a =>
        {
            (a.PasswordHash, a.IsDemo) = (Secrets.HashPassword(password), false);
            return $"New password for {a.Name}, shown once";
        }, a => Secrets.VerifyPassword(password, a.PasswordHash) ? null : "its password is not the one shown", cancellationToken);
        return change with { Password = password };
    }

    /// <summary>A new API token, in the answer once; the old one stops working.</summary>
    public async Task<StaffChange> NewTokenAsync(StaffActor actor, string name, string reason, CancellationToken cancellationToken = default)
    {
        var token = Secrets.NewToken();
        var change = await ChangeAsync(actor, name, reason, "staff-new-token", a =>
        {
            (a.TokenHash, a.IsDemo) = (Secrets.Sha256(token), false);
            return $"New API token for {a.Name}, shown once";
        }, a => a.TokenHash == Secrets.Sha256(token) ? null : "its API token is not the one shown", cancellationToken);
        return change with { Token = token };
    }

    /// <summary>Ends the account's dashboard logins without changing its credentials: each browser must log in again.</summary>
    public async Task<StaffChange> EndSessionsAsync(StaffActor actor, string name, string reason, CancellationToken cancellationToken = default)
    {
        reason = Authorize(actor, reason);
        int ended;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        await using (var tx = await writes.BeginAsync(db, cancellationToken))
        {
            var account = await FindAsync(db, name, cancellationToken);
            var now = time.GetUtcNow();
            ended = await db.StaffSessions.Where(s => s.StaffAccountId == account.Id && s.EndedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now), cancellationToken);
            Audit(db, actor, "staff-end-sessions", account.Name, reason, $"{ended} dashboard sessions of {account.Name} ended");
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        var check = await CheckAsync(actor, reason, "staff-end-sessions", name, _ => null, cancellationToken);
        return new StaffChange("staff-end-sessions", name, $"{ended} dashboard sessions of {name} ended.", ended, check);
    }

    /// <summary>Applies a change to the account in one transaction, refuses one that leaves no active steward, gives a new stamp and ends its logins.</summary>
    private async Task<StaffChange> ChangeAsync(StaffActor actor, string name, string reason, string action, Func<StaffAccount, string> change,
        Func<StaffAccount, string?> holds, CancellationToken cancellationToken)
    {
        reason = Authorize(actor, reason);
        string detail;
        int ended;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        await using (var tx = await writes.BeginAsync(db, cancellationToken))
        {
            var account = await FindAsync(db, name, cancellationToken);
            detail = change(account);
            account.Stamp = StaffDirectory.NewStamp();
            await db.SaveChangesAsync(cancellationToken);
            // Counted inside the transaction, after the change: two stewards demoting each other cannot both pass.
            if (!await db.Staff.AnyAsync(s => s.Role == StaffRole.Steward && !s.Disabled, cancellationToken))
                throw new SessionException(Failure.Conflict, $"{account.Name} is the last active steward; nothing was changed. Make another account a steward first.");
            var now = time.GetUtcNow();
            ended = await db.StaffSessions.Where(s => s.StaffAccountId == account.Id && s.EndedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now), cancellationToken);
            detail += $"; {ended} dashboard sessions ended.";
            Audit(db, actor, action, account.Name, reason, detail);
            await db.SaveChangesAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
        logger.LogWarning("{Actor} did {Action} on staff account {Target} because {Reason}", LogText.Quote(actor.Name), action, LogText.Quote(name), LogText.Quote(reason, AdminService.MaxReasonLength));
        return new StaffChange(action, name, detail, ended, await CheckAsync(actor, reason, action, name, holds, cancellationToken));
    }

    /// <summary>
    /// Reads the account back as a login would: the change must hold, no dashboard login made before it may still let its
    /// browser in, and an active steward must remain. A failed check is logged and audited as <c>check-failed</c>.
    /// </summary>
    private async Task<StaffCheck> CheckAsync(StaffActor actor, string reason, string action, string name, Func<StaffAccount, string?> holds, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var account = await FindAsync(db, name, cancellationToken);
        var problems = new List<string>();
        if (holds(account) is { } wrong) problems.Add(wrong);
        var live = await LiveSessions(db, account).CountAsync(cancellationToken);
        if (live > 0) problems.Add($"{live} dashboard sessions still let their browser in");
        if (!await db.Staff.AnyAsync(s => s.Role == StaffRole.Steward && !s.Disabled, cancellationToken)) problems.Add("no active steward is left");
        if (problems.Count == 0) return new StaffCheck(true, $"Checked: the change holds, {account.Name} has no dashboard session left, and an active steward remains.");

        var summary = $"Check failed for {account.Name}: {string.Join("; ", problems)}. Run the change again, and report it.";
        logger.LogError("The check after {Action} on staff account {Target} failed: {Summary}", action, LogText.Quote(name), summary);
        Audit(db, actor, "check-failed", account.Name, reason, $"After {action}: {summary}");
        await db.SaveChangesAsync(cancellationToken);
        return new StaffCheck(false, summary);
    }

    /// <summary>Dashboard logins of the account that <see cref="StaffSessions.ValidateAsync"/> would still accept.</summary>
    private IQueryable<StaffSession> LiveSessions(SessionsDb db, StaffAccount account)
    {
        if (account.Disabled) return db.StaffSessions.Where(s => false);
        var now = time.GetUtcNow();
        var idleSince = now - options.Value.IdleTimeout;
        return db.StaffSessions.Where(s => s.StaffAccountId == account.Id && s.EndedAt == null && s.ExpiresAt > now && s.LastSeenAt > idleSince && s.Stamp == account.Stamp);
    }

    private async Task<StaffAccountView> ViewAsync(SessionsDb db, StaffAccount a, CancellationToken cancellationToken) =>
        new(a.Name, a.Role, a.Disabled, a.IsDemo,
            await db.StaffSessions.Where(s => s.StaffAccountId == a.Id).MaxAsync(s => (DateTimeOffset?)s.CreatedAt, cancellationToken),
            a.LockedUntil > time.GetUtcNow() ? a.LockedUntil : null, a.FailedLogins,
            await LiveSessions(db, a).CountAsync(cancellationToken));

    private static async Task<StaffAccount> FindAsync(SessionsDb db, string name, CancellationToken cancellationToken) =>
        await db.Staff.FirstOrDefaultAsync(s => s.Name == name, cancellationToken)
        ?? throw new SessionException(Failure.NotFound, $"There is no staff account named '{name}'.");

    private void Audit(SessionsDb db, StaffActor actor, string action, string target, string reason, string detail) =>
        db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = action, Reason = reason, Target = target, Detail = detail });

    private static void Authorize(StaffActor actor)
    {
        if (actor.Role != StaffRole.Steward)
            throw new SessionException(Failure.Forbidden, $"Only stewards may manage staff accounts; {actor.Name} is {Role(actor.Role)} staff.");
    }

    private static string Authorize(StaffActor actor, string? reason)
    {
        Authorize(actor);
        reason = reason?.Trim() ?? "";
        if (reason.Length == 0) throw new SessionException(Failure.Invalid, "A reason is required: say why, for the audit log.");
        if (reason.Length > AdminService.MaxReasonLength) throw new SessionException(Failure.Invalid, $"The reason is limited to {AdminService.MaxReasonLength} characters.");
        return reason;
    }

    private static string Role(StaffRole role) => role.ToString().ToLowerInvariant();
}
