using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class OperationsMetricsAndSessionCounters : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Sessions_EndedAt_ExpiresAt",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_WikiId_EndedAt_ExpiresAt",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_RememberTokens_EndedAt_ExpiresAt",
                table: "RememberTokens");

            migrationBuilder.DropIndex(
                name: "IX_CentralSessions_EndedAt_ExpiresAt",
                table: "CentralSessions");

            migrationBuilder.CreateTable(
                name: "Alerts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Rule = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    Group = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Signal = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true),
                    Peak = table.Column<long>(type: "bigint", nullable: false),
                    Detail = table.Column<string>(type: "nvarchar(300)", maxLength: 300, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MetricBuckets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    Minute = table.Column<long>(type: "bigint", nullable: false),
                    WikiId = table.Column<int>(type: "int", nullable: true),
                    Group = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Signal = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Value = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricBuckets", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "SessionCounts",
                columns: table => new
                {
                    WikiId = table.Column<int>(type: "int", nullable: false),
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    Provider = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    Anonymous = table.Column<bool>(type: "bit", nullable: false),
                    OpenSessions = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SessionCounts", x => new { x.WikiId, x.Epoch, x.Provider, x.Anonymous });
                });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Ended_EndedAt",
                table: "Sessions",
                column: "EndedAt",
                filter: "\"EndedAt\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_Open_ExpiresAt",
                table: "Sessions",
                column: "ExpiresAt",
                filter: "\"EndedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_UserId_EndedAt_Epoch",
                table: "Sessions",
                columns: new[] { "UserId", "EndedAt", "Epoch" });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_WikiId",
                table: "Sessions",
                column: "WikiId");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_WikiId_EndedAt_Epoch_CreatedAt",
                table: "Sessions",
                columns: new[] { "WikiId", "EndedAt", "Epoch", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_EndedAt_Epoch_ExpiresAt",
                table: "RememberTokens",
                columns: new[] { "EndedAt", "Epoch", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_EndedAt_Epoch_ExpiresAt",
                table: "CentralSessions",
                columns: new[] { "EndedAt", "Epoch", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_EndedAt",
                table: "Alerts",
                column: "EndedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Alerts_StartedAt",
                table: "Alerts",
                column: "StartedAt");

            migrationBuilder.CreateIndex(
                name: "IX_MetricBuckets_Minute",
                table: "MetricBuckets",
                column: "Minute");

            migrationBuilder.CreateIndex(
                name: "IX_MetricBuckets_WikiId_Group_Minute",
                table: "MetricBuckets",
                columns: new[] { "WikiId", "Group", "Minute" });

            migrationBuilder.CreateIndex(
                name: "IX_SessionCounts_Epoch",
                table: "SessionCounts",
                column: "Epoch");

            // Hand-written: the triggers that keep the counters and their first fill, and SQLite's planner hint for the
            // epoch index. Kept in static helpers so a regenerated migration needs only these calls put back.
            SessionCounters.Create(migrationBuilder);
            SqlitePlanner.Apply(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            SessionCounters.Drop(migrationBuilder);

            migrationBuilder.DropTable(
                name: "Alerts");

            migrationBuilder.DropTable(
                name: "MetricBuckets");

            migrationBuilder.DropTable(
                name: "SessionCounts");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_Ended_EndedAt",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_Open_ExpiresAt",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_UserId_EndedAt_Epoch",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_WikiId",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_WikiId_EndedAt_Epoch_CreatedAt",
                table: "Sessions");

            migrationBuilder.DropIndex(
                name: "IX_RememberTokens_EndedAt_Epoch_ExpiresAt",
                table: "RememberTokens");

            migrationBuilder.DropIndex(
                name: "IX_CentralSessions_EndedAt_Epoch_ExpiresAt",
                table: "CentralSessions");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_EndedAt_ExpiresAt",
                table: "Sessions",
                columns: new[] { "EndedAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_WikiId_EndedAt_ExpiresAt",
                table: "Sessions",
                columns: new[] { "WikiId", "EndedAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_EndedAt_ExpiresAt",
                table: "RememberTokens",
                columns: new[] { "EndedAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_EndedAt_ExpiresAt",
                table: "CentralSessions",
                columns: new[] { "EndedAt", "ExpiresAt" });
        }
    }
}
