using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.Staff;

/// <summary>A live staff session: who, and the role the account has now (null for a login vouched for by the identity provider).</summary>
public sealed record StaffSessionState(string Name, StaffRole? Role);

/// <summary>
/// Server-side dashboard logins. The cookie names a session by a random token; the store keeps its SHA-256. A session
/// ends at logout, when its account's stamp changes (password, token, role, disabled), after
/// <see cref="StaffLoginOptions.IdleTimeout"/> without use, and at <see cref="StaffLoginOptions.AbsoluteLifetime"/>.
/// </summary>
public sealed class StaffSessions(IDbContextFactory<SessionsDb> dbFactory, IOptions<StaffLoginOptions> options, TimeProvider time)
{
    // Validation writes the last-seen time at most this often, so page loads do not each write.
    private static readonly TimeSpan SeenWriteInterval = TimeSpan.FromMinutes(1);

    /// <summary>Starts a session and returns its token, which only the cookie holds.</summary>
    public async Task<string> StartAsync(int? accountId, string name, string stamp, CancellationToken cancellationToken = default)
    {
        var token = Secrets.NewToken();
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.StaffSessions.Add(new StaffSession
        {
            TokenHash = Secrets.Sha256(token), StaffAccountId = accountId, Name = name, Stamp = stamp,
            CreatedAt = now, LastSeenAt = now, ExpiresAt = now + options.Value.AbsoluteLifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    /// <summary>The session's staff member if the session is still valid, else null.</summary>
    public async Task<StaffSessionState?> ValidateAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (token is not { Length: > 0 and <= 128 }) return null;
        var hash = Secrets.Sha256(token);
        var now = time.GetUtcNow();
        var idleSince = now - options.Value.IdleTimeout;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var session = await db.StaffSessions.AsNoTracking()
            .Where(s => s.TokenHash == hash && s.EndedAt == null && s.ExpiresAt > now && s.LastSeenAt > idleSince)
            .Select(s => new { s.Id, s.StaffAccountId, s.Name, s.Stamp, s.LastSeenAt })
            .FirstOrDefaultAsync(cancellationToken);
        if (session is null) return null;
        StaffRole? role = null;
        if (session.StaffAccountId is { } accountId)
        {
            var account = await db.Staff.AsNoTracking().Where(a => a.Id == accountId)
                .Select(a => new { a.Stamp, a.Disabled, a.Role }).FirstOrDefaultAsync(cancellationToken);
            if (account is null || account.Disabled || account.Stamp != session.Stamp) return null;
            role = account.Role;
        }
        if (now - session.LastSeenAt >= SeenWriteInterval)
            await db.StaffSessions.Where(s => s.Id == session.Id).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastSeenAt, now), cancellationToken);
        return new StaffSessionState(session.Name, role);
    }

    /// <summary>Ends the session of a token (logout); an unknown or ended token is no error.</summary>
    public async Task EndAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (token is not { Length: > 0 and <= 128 }) return;
        var hash = Secrets.Sha256(token);
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.StaffSessions.Where(s => s.TokenHash == hash && s.EndedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now), cancellationToken);
    }

    /// <summary>Ends every live session of an account; returns how many.</summary>
    public async Task<int> EndAllAsync(SessionsDb db, int accountId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return await db.StaffSessions.Where(s => s.StaffAccountId == accountId && s.EndedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.EndedAt, now), cancellationToken);
    }

    /// <summary>Deletes sessions that ended or expired more than a day ago.</summary>
    public async Task<int> DeleteOldAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(1);
        var idleCutoff = cutoff - options.Value.IdleTimeout;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.StaffSessions.Where(s => s.EndedAt < cutoff || s.ExpiresAt < cutoff || s.LastSeenAt < idleCutoff)
            .ExecuteDeleteAsync(cancellationToken);
    }
}
