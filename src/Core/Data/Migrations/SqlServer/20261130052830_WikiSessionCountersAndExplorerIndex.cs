using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class WikiSessionCountersAndExplorerIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Sessions_WikiId_EndedAt_ExpiresAt",
                table: "Sessions");

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
                name: "IX_Sessions_WikiId_EndedAt_Epoch_CreatedAt",
                table: "Sessions",
                columns: new[] { "WikiId", "EndedAt", "Epoch", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_SessionCounts_Epoch",
                table: "SessionCounts",
                column: "Epoch");

            // Hand-written triggers that keep the counters, and their first fill: kept in one helper so a regenerated
            // migration needs only this call put back.
            SessionCounters.Create(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            SessionCounters.Drop(migrationBuilder);

            migrationBuilder.DropTable(
                name: "SessionCounts");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_WikiId_EndedAt_Epoch_CreatedAt",
                table: "Sessions");

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_WikiId_EndedAt_ExpiresAt",
                table: "Sessions",
                columns: new[] { "WikiId", "EndedAt", "ExpiresAt" });
        }
    }
}
