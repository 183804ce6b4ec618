using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Data;

/// <summary>The store. Each database provider has a derived context that owns its migrations.</summary>
/// <remarks>
/// Add a migration to both providers:
/// <code>
/// dotnet ef migrations add NAME --project src/Core --context SqliteSessionsDb --output-dir Data/Migrations/Sqlite
/// dotnet ef migrations add NAME --project src/Core --context SqlServerSessionsDb --output-dir Data/Migrations/SqlServer
/// dotnet ef migrations add NAME --project src/Core --context PostgreSqlSessionsDb --output-dir Data/Migrations/PostgreSql
/// </code>
/// </remarks>
public abstract class SessionsDb : DbContext
{
    protected SessionsDb(DbContextOptions options) : base(options)
    {
        // No savepoint around each SaveChanges inside a transaction: no caller carries on with a transaction after a
        // failed save, and the two extra statements per save were a fifth of a login's.
        Database.AutoSavepointsEnabled = false;
    }

    public DbSet<Wiki> Wikis => Set<Wiki>();
    public DbSet<ProviderSetting> ProviderSettings => Set<ProviderSetting>();
    public DbSet<FarmState> Farm => Set<FarmState>();
    public DbSet<EpochChange> EpochChanges => Set<EpochChange>();
    public DbSet<GlobalUser> Users => Set<GlobalUser>();
    public DbSet<UserAttachment> Attachments => Set<UserAttachment>();
    public DbSet<BotPassword> BotPasswords => Set<BotPassword>();
    public DbSet<OAuthConsumer> OAuthConsumers => Set<OAuthConsumer>();
    public DbSet<OAuthGrant> OAuthGrants => Set<OAuthGrant>();
    public DbSet<StaffAccount> Staff => Set<StaffAccount>();
    public DbSet<StaffSession> StaffSessions => Set<StaffSession>();
    public DbSet<Session> Sessions => Set<Session>();
    public DbSet<CentralSession> CentralSessions => Set<CentralSession>();
    public DbSet<RememberToken> RememberTokens => Set<RememberToken>();
    public DbSet<StoredBlob> Blobs => Set<StoredBlob>();
    public DbSet<SessionEvent> Events => Set<SessionEvent>();
    public DbSet<MetadataDiff> MetadataDiffs => Set<MetadataDiff>();
    public DbSet<LogoutTrace> LogoutTraces => Set<LogoutTrace>();
    public DbSet<LogoutTraceStep> LogoutTraceSteps => Set<LogoutTraceStep>();
    public DbSet<AuditEntry> Audit => Set<AuditEntry>();
    public DbSet<MetricBucket> MetricBuckets => Set<MetricBucket>();
    public DbSet<Alert> Alerts => Set<Alert>();
    public DbSet<BulkJob> BulkJobs => Set<BulkJob>();
    /// <summary>Open sessions per wiki, epoch, provider and kind, kept by triggers (see <see cref="SessionCounters"/>).</summary>
    public DbSet<WikiSessionCount> SessionCounts => Set<WikiSessionCount>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(SessionsDb).Assembly);
        // Rows are removed by the sweeper, never by cascades, except a record's own parts; this also keeps
        // SQL Server free of multiple cascade paths.
        Type[] parts = [typeof(MetadataDiff), typeof(LogoutTraceStep), typeof(UserAttachment)];
        foreach (var fk in modelBuilder.Model.GetEntityTypes().SelectMany(e => e.GetForeignKeys()))
        {
            if (fk.DeleteBehavior == DeleteBehavior.Cascade && !parts.Contains(fk.DeclaringEntityType.ClrType))
                fk.DeleteBehavior = DeleteBehavior.Restrict;
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Enums are stored by name so the data reads the same from any client.
        configurationBuilder.Properties<Enum>().HaveConversion<string>().HaveMaxLength(32);
        // SQLite cannot order or compare DateTimeOffset; UTC ticks sort and compare on both providers.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        GuardAuditLog();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        GuardAuditLog();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private void GuardAuditLog()
    {
        if (ChangeTracker.Entries<AuditEntry>().Any(e => e.State is EntityState.Modified or EntityState.Deleted))
            throw new InvalidOperationException("The audit log is append-only: entries cannot be changed or deleted.");
    }
}

/// <summary>The SQLite store, the embedded default.</summary>
public sealed class SqliteSessionsDb(DbContextOptions<SqliteSessionsDb> options) : SessionsDb(options);

/// <summary>The SQL Server store, chosen with <c>Database:Provider = SqlServer</c>.</summary>
public sealed class SqlServerSessionsDb(DbContextOptions<SqlServerSessionsDb> options) : SessionsDb(options);

/// <summary>The PostgreSQL store, chosen with <c>Database:Provider = PostgreSql</c>: a server several app instances share.</summary>
public sealed class PostgreSqlSessionsDb(DbContextOptions<PostgreSqlSessionsDb> options) : SessionsDb(options);
