using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace WikiSessions.Core.Data;

/// <summary>Lets <c>dotnet ef</c> build the SQLite context without starting the app.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteSessionsDb>
{
    public SqliteSessionsDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteSessionsDb>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Lets <c>dotnet ef</c> build the SQL Server context; no server is contacted to add or script migrations.</summary>
public sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerSessionsDb>
{
    public SqlServerSessionsDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerSessionsDb>()
            .UseSqlServer(args.FirstOrDefault() ?? "Server=localhost;Database=WikiSessions;Trusted_Connection=True;TrustServerCertificate=True").Options);
}

/// <summary>Lets <c>dotnet ef</c> build the PostgreSQL context; no server is contacted to add or script migrations.</summary>
public sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlSessionsDb>
{
    public PostgreSqlSessionsDb CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlSessionsDb>()
            .UseNpgsql(args.FirstOrDefault() ?? "Host=localhost;Database=wikisessions").Options);
}
