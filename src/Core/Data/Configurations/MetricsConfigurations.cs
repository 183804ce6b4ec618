using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Data.Configurations;

public sealed class MetricBucketConfiguration : IEntityTypeConfiguration<MetricBucket>
{
    public void Configure(EntityTypeBuilder<MetricBucket> b)
    {
        b.ToTable("MetricBuckets");
        // The charts read a group's totals (no wiki) or one wiki's values over a window; the writer's upsert reads one minute.
        b.HasIndex(m => new { m.WikiId, m.Group, m.Minute });
        // The retention sweep.
        b.HasIndex(m => m.Minute);
    }
}

public sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> b)
    {
        b.Property(a => a.Rule).HasMaxLength(64);
        b.Property(a => a.Detail).HasMaxLength(Alert.MaxDetail);
        b.HasIndex(a => a.StartedAt);
        b.HasIndex(a => a.EndedAt);
    }
}
