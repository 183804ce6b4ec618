using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Data.Configurations;

public sealed class SessionConfiguration : IEntityTypeConfiguration<Session>
{
    public void Configure(EntityTypeBuilder<Session> b)
    {
        // The per-wiki counters (WikiSessionCounts) are kept by triggers on this table.
        b.ToTable(t => { foreach (var name in SessionCounters.TriggerNames) t.HasTrigger(name); });
        b.Property(s => s.IdHash).HasMaxLength(64);
        b.Property(s => s.Handle).HasMaxLength(16);
        b.Property(s => s.Ip).HasMaxLength(45);
        b.Property(s => s.IpKey).HasMaxLength(33);
        b.Property(s => s.UserAgent).HasMaxLength(512);
        b.Property(s => s.Metadata).HasMaxLength(4000);
        b.Property(s => s.UserToken).HasMaxLength(64);
        b.Property(s => s.CookiesSet).HasMaxLength(512);
        b.Property(s => s.EndedBy).HasMaxLength(85);
        b.Property(s => s.ResurrectionOfTraceId).HasMaxLength(32);
        b.Property(s => s.GlobalTokenPrint).HasMaxLength(32);
        b.Property(s => s.DataVersion).IsConcurrencyToken();
        b.HasOne(s => s.Wiki).WithMany().HasForeignKey(s => s.WikiId);
        b.HasOne(s => s.User).WithMany().HasForeignKey(s => s.UserId);
        b.HasOne(s => s.CentralSession).WithMany().HasForeignKey(s => s.CentralSessionId).OnDelete(DeleteBehavior.SetNull);
        b.HasOne<LogoutTrace>().WithMany().HasForeignKey(s => s.ResurrectionOfTraceId).OnDelete(DeleteBehavior.SetNull);

        b.HasIndex(s => s.IdHash).IsUnique();
        b.HasIndex(s => s.Handle).IsUnique();
        // The explorer's page of one wiki's open sessions of the current epoch, newest first, read in index order
        // (the row ID, which breaks ties of CreatedAt, is the last column of every SQLite index).
        b.HasIndex(s => new { s.WikiId, s.EndedAt, s.Epoch, s.CreatedAt });
        // A wiki's sessions of any state by row ID, newest first: the CSV export's key-paged reads of one wiki.
        b.HasIndex(s => s.WikiId);
        // The sweeper's passes, as partial indexes: open sessions by expiry (the idle pass) and ended ones by end (the
        // delete pass). Partial, so "EndedAt IS NULL", true of half the store, is never an index prefix the planner
        // mistakes for a selective one.
        b.HasIndex(s => s.ExpiresAt, "IX_Sessions_Open_ExpiresAt").HasFilter("\"EndedAt\" IS NULL");
        b.HasIndex(s => s.EndedAt, "IX_Sessions_Ended_EndedAt").HasFilter("\"EndedAt\" IS NOT NULL");
        // A user's sessions across the farm, newest first (history), and a user's open sessions of the current epoch
        // (user page, invalidation and its post-check).
        b.HasIndex(s => new { s.UserId, s.CreatedAt });
        b.HasIndex(s => new { s.UserId, s.EndedAt, s.Epoch });
        b.HasIndex(s => s.Ip);
        b.HasIndex(s => s.IpKey);
        b.HasIndex(s => s.CentralSessionId);
        b.HasIndex(s => s.OAuthGrantId);
        b.HasIndex(s => s.BotPasswordId);
        b.HasIndex(s => s.Epoch);
        b.HasIndex(s => s.CreatedAt);
        // No foreign key: the sweeper removes tokens and sessions in any order, and SQL Server refuses a second
        // set-null path from central sessions to sessions.
        b.HasIndex(s => s.RememberTokenId);
    }
}

public sealed class StoredBlobConfiguration : IEntityTypeConfiguration<StoredBlob>
{
    public void Configure(EntityTypeBuilder<StoredBlob> b)
    {
        b.Property(x => x.KeyHash).HasMaxLength(64);
        b.Property(x => x.Kind).HasMaxLength(64);
        b.HasOne<Wiki>().WithMany().HasForeignKey(x => x.WikiId);
        // No foreign key to the session: the sweeper removes either in its own pass.
        b.HasIndex(x => x.KeyHash).IsUnique();
        b.HasIndex(x => x.SessionId);
        b.HasIndex(x => x.ExpiresAt);
        // The quota sums a wiki's value lengths from this index alone, never reading the values.
        b.HasIndex(x => new { x.WikiId, x.Length });
    }
}

public sealed class RememberTokenConfiguration : IEntityTypeConfiguration<RememberToken>
{
    public void Configure(EntityTypeBuilder<RememberToken> b)
    {
        b.Property(t => t.TokenHash).HasMaxLength(64);
        b.Property(t => t.UserToken).HasMaxLength(64);
        b.HasOne<GlobalUser>().WithMany().HasForeignKey(t => t.UserId);
        b.HasOne<Wiki>().WithMany().HasForeignKey(t => t.WikiId);
        b.HasIndex(t => t.TokenHash).IsUnique();
        b.HasIndex(t => t.CentralSessionId);
        b.HasIndex(t => new { t.UserId, t.EndedAt });
        // The sweeper's passes, and the open tokens of the current epoch counted from the index alone (invalidate-everyone).
        b.HasIndex(t => new { t.EndedAt, t.Epoch, t.ExpiresAt });
    }
}

public sealed class CentralSessionConfiguration : IEntityTypeConfiguration<CentralSession>
{
    public void Configure(EntityTypeBuilder<CentralSession> b)
    {
        b.Property(s => s.IdHash).HasMaxLength(64);
        b.Property(s => s.Handle).HasMaxLength(16);
        b.Property(s => s.Ip).HasMaxLength(45);
        b.Property(s => s.UserAgent).HasMaxLength(512);
        b.Property(s => s.UserToken).HasMaxLength(64);
        b.Property(s => s.Version).IsConcurrencyToken();
        b.Property(s => s.SurvivedLogoutTraceId).HasMaxLength(32);
        b.Property(s => s.BrowserId).HasMaxLength(32);
        b.Property(s => s.GlobalTokenPrint).HasMaxLength(32);
        b.HasOne<GlobalUser>().WithMany().HasForeignKey(s => s.UserId);
        // A global logout's and a browser revoke's reach: every central session the browser ever held.
        b.HasIndex(s => s.BrowserId);
        b.HasIndex(s => s.IdHash).IsUnique();
        b.HasIndex(s => s.Handle).IsUnique();
        b.HasIndex(s => new { s.UserId, s.EndedAt });
        // The sweeper's passes, and the open central sessions of the current epoch counted from the index alone
        // (invalidate-everyone's radius and its post-check), not by reading a row per browser.
        b.HasIndex(s => new { s.EndedAt, s.Epoch, s.ExpiresAt });
    }
}

public sealed class SessionEventConfiguration : IEntityTypeConfiguration<SessionEvent>
{
    public void Configure(EntityTypeBuilder<SessionEvent> b)
    {
        b.Property(e => e.Detail).HasMaxLength(SessionEvent.MaxDetail);
        b.Property(e => e.SessionHandle).HasMaxLength(16);
        b.HasIndex(e => e.At);
        b.HasIndex(e => new { e.SessionId, e.At });
        b.HasIndex(e => new { e.WikiId, e.At });
        b.HasIndex(e => new { e.UserId, e.At });
    }
}

public sealed class MetadataDiffConfiguration : IEntityTypeConfiguration<MetadataDiff>
{
    public void Configure(EntityTypeBuilder<MetadataDiff> b)
    {
        b.Property(d => d.Saved).HasMaxLength(4000);
        b.Property(d => d.Provided).HasMaxLength(4000);
        b.Property(d => d.ConflictingKeys).HasMaxLength(512);
        b.HasOne<Session>().WithMany().HasForeignKey(d => d.SessionId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(d => new { d.SessionId, d.At });
    }
}

public sealed class LogoutTraceConfiguration : IEntityTypeConfiguration<LogoutTrace>
{
    public void Configure(EntityTypeBuilder<LogoutTrace> b)
    {
        b.Property(t => t.Id).HasMaxLength(32);
        b.Property(t => t.Ip).HasMaxLength(45);
        b.Property(t => t.UserAgent).HasMaxLength(512);
        b.Property(t => t.GlobalTokenPrint).HasMaxLength(32);
        b.HasMany(t => t.Steps).WithOne().HasForeignKey(s => s.TraceId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<Wiki>().WithMany().HasForeignKey(t => t.StartedOnWikiId);
        b.HasIndex(t => t.StartedAt);
        // The resurrection check: the latest logouts of one user.
        b.HasIndex(t => new { t.UserId, t.FinishedAt });
    }
}

public sealed class LogoutTraceStepConfiguration : IEntityTypeConfiguration<LogoutTraceStep>
{
    public void Configure(EntityTypeBuilder<LogoutTraceStep> b)
    {
        b.Property(s => s.TraceId).HasMaxLength(32);
        b.Property(s => s.CookiesCleared).HasMaxLength(512);
        b.Property(s => s.Outcome).HasMaxLength(200);
        b.HasOne<Wiki>().WithMany().HasForeignKey(s => s.WikiId);
        b.HasIndex(s => new { s.TraceId, s.Order });
    }
}

public sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> b)
    {
        b.Property(a => a.Actor).HasMaxLength(85);
        b.Property(a => a.Action).HasMaxLength(64);
        b.Property(a => a.Reason).HasMaxLength(1000);
        b.Property(a => a.Target).HasMaxLength(128);
        b.Property(a => a.Detail).HasMaxLength(2000);
        // The audit page is filtered by one of these and ordered by ID: each index ends in it, so a page is a walk.
        b.HasIndex(a => a.At);
        b.HasIndex(a => new { a.Target, a.Id });
        b.HasIndex(a => new { a.Actor, a.Id });
        b.HasIndex(a => new { a.Action, a.Id });
    }
}
