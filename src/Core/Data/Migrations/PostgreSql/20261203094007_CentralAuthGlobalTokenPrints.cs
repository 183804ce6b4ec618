using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class CentralAuthGlobalTokenPrints : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "GlobalTokenPrint",
                table: "Sessions",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "GlobalTokenPrint",
                table: "LogoutTraces",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "RotationConfirmedAt",
                table: "LogoutTraces",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "GlobalTokenPrint",
                table: "CentralSessions",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "GlobalTokenPrint",
                table: "Sessions");

            migrationBuilder.DropColumn(
                name: "GlobalTokenPrint",
                table: "LogoutTraces");

            migrationBuilder.DropColumn(
                name: "RotationConfirmedAt",
                table: "LogoutTraces");

            migrationBuilder.DropColumn(
                name: "GlobalTokenPrint",
                table: "CentralSessions");
        }
    }
}
