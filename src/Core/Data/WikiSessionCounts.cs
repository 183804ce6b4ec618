using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Migrations;
using WikiSessions.Core.Domain;

namespace WikiSessions.Core.Data;

/// <summary>
/// How many session rows of a wiki, epoch, provider and kind (anonymous or logged in) are open (not yet marked ended).
/// Kept by the store's own triggers on <c>Sessions</c>, so the farm overview reads about four thousand rows instead of
/// counting a million sessions every second, and no code path that ends a session can forget to update them.
/// </summary>
/// <remarks>
/// Open is not quite active: a session that expired by time counts until the sweeper marks it ended (one sweep
/// interval at most), and a closed wiki's open rows are kept here but shown as 0 by the overview.
/// A count is the sum over its <see cref="Slot"/>s, whose rows may be negative on their own.
/// </remarks>
public class WikiSessionCount
{
    public int WikiId { get; set; }
    public long Epoch { get; set; }
    public ProviderKind Provider { get; set; }
    public bool Anonymous { get; set; }
    /// <summary>
    /// Which of a count's rows a writer updates: always 0 on SQLite (one writer) and SQL Server; on PostgreSQL one of
    /// <see cref="SessionCounters.PostgreSqlSlots"/> by connection, so concurrent logins on one wiki do not all wait on
    /// one row's lock until their transactions commit.
    /// </summary>
    public short Slot { get; set; }
    public long OpenSessions { get; set; }
}

public sealed class WikiSessionCountConfiguration : IEntityTypeConfiguration<WikiSessionCount>
{
    public void Configure(EntityTypeBuilder<WikiSessionCount> b)
    {
        b.HasKey(c => new { c.WikiId, c.Epoch, c.Provider, c.Anonymous, c.Slot });
        // The triggers and recounts of SQLite and SQL Server write no slot: the column's default puts them in 0.
        b.Property(c => c.Slot).HasDefaultValue((short)0).ValueGeneratedNever();
        // The overview reads one epoch: the current one.
        b.HasIndex(c => c.Epoch);
    }
}

/// <summary>
/// The triggers that keep <see cref="WikiSessionCount"/>, hand-written per provider. Migrations call
/// <see cref="Create"/> and <see cref="Drop"/>, so regenerating a migration only needs the one call put back.
/// </summary>
public static class SessionCounters
{
    /// <summary>Every trigger on Sessions, declared on the model so SQL Server's SaveChanges does not use OUTPUT.</summary>
    public static readonly string[] TriggerNames = ["Sessions_CountInsert", "Sessions_CountUpdate", "Sessions_CountDelete", "Sessions_Count"];

    /// <summary>The counters recomputed from the rows: the migration's first fill, and a bulk loader's after it drops the triggers.</summary>
    public const string Recount = """
        DELETE FROM "SessionCounts";
        INSERT INTO "SessionCounts" ("WikiId", "Epoch", "Provider", "Anonymous", "OpenSessions")
        SELECT "WikiId", "Epoch", "Provider", CASE WHEN "UserId" IS NULL THEN 1 ELSE 0 END, COUNT(*)
        FROM "Sessions" WHERE "EndedAt" IS NULL
        GROUP BY "WikiId", "Epoch", "Provider", CASE WHEN "UserId" IS NULL THEN 1 ELSE 0 END;
        """;

    // The columns that decide a row's counter; an UPDATE of anything else (activity, data) fires nothing.
    // The product never changes a row's wiki, epoch or provider, but a counter that followed them anyway cannot drift.
    private const string Upsert = """
        ON CONFLICT ("WikiId", "Epoch", "Provider", "Anonymous", "Slot") DO UPDATE SET "OpenSessions" = "OpenSessions" + 1;
        """;

    /// <summary>PostgreSQL's rows per count: enough that a pool of writers rarely meets on one, few enough that the overview's read stays small.</summary>
    public const int PostgreSqlSlots = 8;

    /// <summary>SQLite: one trigger per kind of write, each touching one counter row per session row.</summary>
    public static readonly string[] Sqlite =
    [
        $"""
        CREATE TRIGGER "Sessions_CountInsert" AFTER INSERT ON "Sessions" WHEN NEW."EndedAt" IS NULL
        BEGIN
            INSERT INTO "SessionCounts" ("WikiId", "Epoch", "Provider", "Anonymous", "OpenSessions")
            VALUES (NEW."WikiId", NEW."Epoch", NEW."Provider", NEW."UserId" IS NULL, 1)
            {Upsert}
        END;
        """,
        $"""
        CREATE TRIGGER "Sessions_CountUpdate" AFTER UPDATE OF "EndedAt", "WikiId", "Epoch", "Provider", "UserId" ON "Sessions"
        WHEN OLD."EndedAt" IS NULL OR NEW."EndedAt" IS NULL
        BEGIN
            UPDATE "SessionCounts" SET "OpenSessions" = "OpenSessions" - 1
            WHERE OLD."EndedAt" IS NULL AND "WikiId" = OLD."WikiId" AND "Epoch" = OLD."Epoch" AND "Provider" = OLD."Provider" AND "Anonymous" = (OLD."UserId" IS NULL);
            INSERT INTO "SessionCounts" ("WikiId", "Epoch", "Provider", "Anonymous", "OpenSessions")
            SELECT NEW."WikiId", NEW."Epoch", NEW."Provider", NEW."UserId" IS NULL, 1 WHERE NEW."EndedAt" IS NULL
            {Upsert}
        END;
        """,
        """
        CREATE TRIGGER "Sessions_CountDelete" AFTER DELETE ON "Sessions" WHEN OLD."EndedAt" IS NULL
        BEGIN
            UPDATE "SessionCounts" SET "OpenSessions" = "OpenSessions" - 1
            WHERE "WikiId" = OLD."WikiId" AND "Epoch" = OLD."Epoch" AND "Provider" = OLD."Provider" AND "Anonymous" = (OLD."UserId" IS NULL);
        END;
        """,
    ];

    /// <summary>SQL Server: one set-based trigger over inserted and deleted, one MERGE per statement whatever its row count, in slot 0.</summary>
    public const string SqlServer = """
        CREATE TRIGGER [Sessions_Count] ON [Sessions] AFTER INSERT, UPDATE, DELETE AS
        BEGIN
            SET NOCOUNT ON;
            IF EXISTS (SELECT 1 FROM inserted) AND EXISTS (SELECT 1 FROM deleted)
                AND NOT (UPDATE([EndedAt]) OR UPDATE([WikiId]) OR UPDATE([Epoch]) OR UPDATE([Provider]) OR UPDATE([UserId]))
                RETURN;
            MERGE [SessionCounts] WITH (HOLDLOCK) AS t
            USING (
                SELECT [WikiId], [Epoch], [Provider], [Anonymous], SUM([Delta]) AS [Delta]
                FROM (
                    SELECT [WikiId], [Epoch], [Provider], CAST(CASE WHEN [UserId] IS NULL THEN 1 ELSE 0 END AS bit) AS [Anonymous], 1 AS [Delta]
                    FROM inserted WHERE [EndedAt] IS NULL
                    UNION ALL
                    SELECT [WikiId], [Epoch], [Provider], CAST(CASE WHEN [UserId] IS NULL THEN 1 ELSE 0 END AS bit), -1
                    FROM deleted WHERE [EndedAt] IS NULL
                ) AS changed
                GROUP BY [WikiId], [Epoch], [Provider], [Anonymous]
                HAVING SUM([Delta]) <> 0
            ) AS s
            ON t.[WikiId] = s.[WikiId] AND t.[Epoch] = s.[Epoch] AND t.[Provider] = s.[Provider] AND t.[Anonymous] = s.[Anonymous] AND t.[Slot] = 0
            WHEN MATCHED THEN UPDATE SET [OpenSessions] = t.[OpenSessions] + s.[Delta]
            WHEN NOT MATCHED THEN INSERT ([WikiId], [Epoch], [Provider], [Anonymous], [OpenSessions])
                VALUES (s.[WikiId], s.[Epoch], s.[Provider], s.[Anonymous], s.[Delta]);
        END
        """;

    /// <summary>
    /// PostgreSQL: statement triggers over the transition tables, one upsert per statement in key order, so two
    /// writers that end sessions of several wikis lock the counter rows in the same order instead of deadlocking.
    /// A transition table needs a trigger of one event, and a branch may name only the tables its trigger has.
    /// </summary>
    public static readonly string[] PostgreSql =
    [
        $$"""
        CREATE FUNCTION "Sessions_Count"() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {{PostgreSqlUpsert("""SELECT "WikiId", "Epoch", "Provider", "UserId", 1 AS "Delta" FROM new_rows WHERE "EndedAt" IS NULL""")}}
            ELSIF TG_OP = 'DELETE' THEN
                {{PostgreSqlUpsert("""SELECT "WikiId", "Epoch", "Provider", "UserId", -1 AS "Delta" FROM old_rows WHERE "EndedAt" IS NULL""")}}
            ELSE
                {{PostgreSqlUpsert("""
                    SELECT "WikiId", "Epoch", "Provider", "UserId", 1 AS "Delta" FROM new_rows WHERE "EndedAt" IS NULL
                    UNION ALL SELECT "WikiId", "Epoch", "Provider", "UserId", -1 FROM old_rows WHERE "EndedAt" IS NULL
                    """)}}
            END IF;
            RETURN NULL;
        END
        $$;
        """,
        """CREATE TRIGGER "Sessions_CountInsert" AFTER INSERT ON "Sessions" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "Sessions_Count"();""",
        """CREATE TRIGGER "Sessions_CountUpdate" AFTER UPDATE ON "Sessions" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "Sessions_Count"();""",
        """CREATE TRIGGER "Sessions_CountDelete" AFTER DELETE ON "Sessions" REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "Sessions_Count"();""",
    ];

    // A statement that changed no row's counter (an activity or data write) sums to zero everywhere and writes nothing.
    // Every row a connection writes is in its own slot, so the key order still holds within a transaction.
    private static string PostgreSqlUpsert(string changedRows) => $"""
        INSERT INTO "SessionCounts" AS t ("WikiId", "Epoch", "Provider", "Anonymous", "Slot", "OpenSessions")
        SELECT "WikiId", "Epoch", "Provider", "UserId" IS NULL, pg_backend_pid() % {PostgreSqlSlots}, SUM("Delta") FROM ({changedRows}) AS changed
        GROUP BY "WikiId", "Epoch", "Provider", "UserId" IS NULL
        HAVING SUM("Delta") <> 0
        ORDER BY 1, 2, 3, 4
        ON CONFLICT ("WikiId", "Epoch", "Provider", "Anonymous", "Slot") DO UPDATE SET "OpenSessions" = t."OpenSessions" + EXCLUDED."OpenSessions";
        """;

    /// <summary><see cref="Recount"/> for PostgreSQL, whose boolean column takes no integer.</summary>
    public const string RecountPostgreSql = """
        DELETE FROM "SessionCounts";
        INSERT INTO "SessionCounts" ("WikiId", "Epoch", "Provider", "Anonymous", "OpenSessions")
        SELECT "WikiId", "Epoch", "Provider", "UserId" IS NULL, COUNT(*)
        FROM "Sessions" WHERE "EndedAt" IS NULL
        GROUP BY "WikiId", "Epoch", "Provider", "UserId" IS NULL;
        """;

    /// <summary>Creates the triggers and fills the counters from the sessions already stored.</summary>
    public static void Create(MigrationBuilder migrationBuilder)
    {
        if (IsPostgreSql(migrationBuilder))
        {
            foreach (var statement in PostgreSql) migrationBuilder.Sql(statement);
            migrationBuilder.Sql(RecountPostgreSql);
            return;
        }
        if (IsSqlServer(migrationBuilder))
        {
            migrationBuilder.Sql(SqlServer);
        }
        else
        {
            foreach (var trigger in Sqlite) migrationBuilder.Sql(trigger);
        }
        // Quoted names and an int into a bit column read the same on both stores.
        migrationBuilder.Sql(Recount);
    }

    public static void Drop(MigrationBuilder migrationBuilder)
    {
        if (IsSqlServer(migrationBuilder))
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS [Sessions_Count];");
            return;
        }
        if (IsPostgreSql(migrationBuilder))
        {
            foreach (var name in TriggerNames[..3]) migrationBuilder.Sql($"DROP TRIGGER IF EXISTS \"{name}\" ON \"Sessions\";");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS \"Sessions_Count\"();");
            return;
        }
        foreach (var name in TriggerNames[..3]) migrationBuilder.Sql($"DROP TRIGGER IF EXISTS \"{name}\";");
    }

    private static bool IsPostgreSql(MigrationBuilder migrationBuilder) => migrationBuilder.ActiveProvider == "Npgsql.EntityFrameworkCore.PostgreSQL";

    private static bool IsSqlServer(MigrationBuilder migrationBuilder) => migrationBuilder.ActiveProvider == "Microsoft.EntityFrameworkCore.SqlServer";
}
