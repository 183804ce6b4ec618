using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ServerKeyOutOfTheStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Secret",
                table: "Farm");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Secret",
                table: "Farm",
                type: "TEXT",
                maxLength: 128,
                nullable: false,
                defaultValue: "");
        }
    }
}
