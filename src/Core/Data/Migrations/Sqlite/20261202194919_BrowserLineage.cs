using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BrowserLineage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "BrowserId",
                table: "CentralSessions",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "Unlinked",
                table: "CentralSessions",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateIndex(
                name: "IX_CentralSessions_BrowserId",
                table: "CentralSessions",
                column: "BrowserId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CentralSessions_BrowserId",
                table: "CentralSessions");

            migrationBuilder.DropColumn(
                name: "BrowserId",
                table: "CentralSessions");

            migrationBuilder.DropColumn(
                name: "Unlinked",
                table: "CentralSessions");
        }
    }
}
