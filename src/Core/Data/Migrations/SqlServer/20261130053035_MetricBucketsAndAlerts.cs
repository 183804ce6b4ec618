using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.SqlServer
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
