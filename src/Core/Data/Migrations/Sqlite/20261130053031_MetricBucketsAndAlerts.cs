using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class MetricBucketsAndAlerts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Alerts",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Rule = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Group = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Signal = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Peak = table.Column<long>(type: "INTEGER", nullable: false),
                    Detail = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Alerts", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MetricBuckets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Minute = table.Column<long>(type: "INTEGER", nullable: false),
                    WikiId = table.Column<int>(type: "INTEGER", nullable: true),
                    Group = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Signal = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Value = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MetricBuckets", x => x.Id);
                });

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Alerts");

            migrationBuilder.DropTable(
                name: "MetricBuckets");
        }
    }
}
