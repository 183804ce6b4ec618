using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Data.Configurations;

public sealed class WikiConfiguration : IEntityTypeConfiguration<Wiki>
{
    public void Configure(EntityTypeBuilder<Wiki> b)
    {
        b.Property(w => w.DbName).HasMaxLength(64);
        b.Property(w => w.Host).HasMaxLength(128);
        b.Property(w => w.ApiKeyHash).HasMaxLength(64);
        b.HasIndex(w => w.DbName).IsUnique();
        b.HasIndex(w => w.Group);
    }
}

public sealed class ProviderSettingConfiguration : IEntityTypeConfiguration<ProviderSetting>
{
    public void Configure(EntityTypeBuilder<ProviderSetting> b)
    {
        b.HasOne<Wiki>().WithMany().HasForeignKey(p => p.WikiId);
        b.HasIndex(p => new { p.WikiId, p.Provider }).IsUnique();
    }
}

public sealed class FarmStateConfiguration : IEntityTypeConfiguration<FarmState>
{
    public void Configure(EntityTypeBuilder<FarmState> b)
    {
        b.Property(f => f.Id).ValueGeneratedNever();
    }
}

public sealed class EpochChangeConfiguration : IEntityTypeConfiguration<EpochChange>
{
    public void Configure(EntityTypeBuilder<EpochChange> b)
    {
        b.HasKey(e => e.Epoch);
        b.Property(e => e.Epoch).ValueGeneratedNever();
    }
}

public sealed class GlobalUserConfiguration : IEntityTypeConfiguration<GlobalUser>
{
    public void Configure(EntityTypeBuilder<GlobalUser> b)
    {
        b.Property(u => u.Name).HasMaxLength(85);
        b.Property(u => u.Token).HasMaxLength(64);
        b.Property(u => u.Version).IsConcurrencyToken();
        b.HasIndex(u => u.Name).IsUnique();
        b.HasMany(u => u.Attachments).WithOne().HasForeignKey(a => a.UserId);
    }
}

public sealed class UserAttachmentConfiguration : IEntityTypeConfiguration<UserAttachment>
{
    public void Configure(EntityTypeBuilder<UserAttachment> b)
    {
        b.HasKey(a => new { a.UserId, a.WikiId });
        b.HasOne<Wiki>().WithMany().HasForeignKey(a => a.WikiId);
        b.HasIndex(a => a.WikiId);
    }
}

public sealed class BotPasswordConfiguration : IEntityTypeConfiguration<BotPassword>
{
    public void Configure(EntityTypeBuilder<BotPassword> b)
    {
        b.Property(p => p.AppId).HasMaxLength(32);
        b.Property(p => p.Grants).HasMaxLength(512);
        b.HasOne<GlobalUser>().WithMany().HasForeignKey(p => p.UserId);
        b.HasIndex(p => new { p.UserId, p.AppId });
    }
}

public sealed class OAuthConsumerConfiguration : IEntityTypeConfiguration<OAuthConsumer>
{
    public void Configure(EntityTypeBuilder<OAuthConsumer> b)
    {
        b.Property(c => c.Name).HasMaxLength(128);
        b.Property(c => c.Grants).HasMaxLength(512);
        b.Property(c => c.Description).HasMaxLength(512);
        b.HasIndex(c => c.Name).IsUnique();
    }
}

public sealed class OAuthGrantConfiguration : IEntityTypeConfiguration<OAuthGrant>
{
    public void Configure(EntityTypeBuilder<OAuthGrant> b)
    {
        b.Property(g => g.Grants).HasMaxLength(512);
        b.HasOne<GlobalUser>().WithMany().HasForeignKey(g => g.UserId);
        b.HasOne(g => g.Consumer).WithMany().HasForeignKey(g => g.ConsumerId);
        b.HasIndex(g => new { g.UserId, g.ConsumerId });
    }
}

public sealed class StaffAccountConfiguration : IEntityTypeConfiguration<StaffAccount>
{
    public void Configure(EntityTypeBuilder<StaffAccount> b)
    {
        b.Property(s => s.Name).HasMaxLength(85);
        b.Property(s => s.PasswordHash).HasMaxLength(256);
        b.Property(s => s.TokenHash).HasMaxLength(64);
        b.HasIndex(s => s.Name).IsUnique();
        b.HasIndex(s => s.TokenHash).IsUnique();
        b.Property(s => s.Stamp).HasMaxLength(32);
    }
}

public sealed class StaffSessionConfiguration : IEntityTypeConfiguration<StaffSession>
{
    public void Configure(EntityTypeBuilder<StaffSession> b)
    {
        b.Property(s => s.TokenHash).HasMaxLength(64);
        b.Property(s => s.Name).HasMaxLength(256);
        b.Property(s => s.Stamp).HasMaxLength(32);
        b.HasOne<StaffAccount>().WithMany().HasForeignKey(s => s.StaffAccountId);
        b.HasIndex(s => s.TokenHash).IsUnique();
        b.HasIndex(s => new { s.StaffAccountId, s.EndedAt });
        b.HasIndex(s => s.ExpiresAt);
    }
}

public sealed class BulkJobConfiguration : IEntityTypeConfiguration<BulkJob>
{
    public void Configure(EntityTypeBuilder<BulkJob> b)
    {
        b.Property(j => j.Actor).HasMaxLength(85);
        b.Property(j => j.Reason).HasMaxLength(Admin.AdminService.MaxReasonLength);
        b.Property(j => j.Filter).HasMaxLength(2000);
        b.Property(j => j.CancelledBy).HasMaxLength(85);
        b.Property(j => j.CheckSummary).HasMaxLength(2000);
        b.Property(j => j.Survives).HasMaxLength(2000);
        // The runner looks for running jobs; the console lists the latest.
        b.HasIndex(j => j.State);
    }
}
