using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class StoreQuotaIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Blobs_WikiId",
                table: "Blobs");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_WikiId_Length",
                table: "Blobs",
                columns: new[] { "WikiId", "Length" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Blobs_WikiId_Length",
                table: "Blobs");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_WikiId",
                table: "Blobs",
                column: "WikiId");
        }
    }
}
