using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class StaffSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Disabled",
                table: "Staff",
                type: "bit",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "FailedLogins",
                table: "Staff",
                type: "int",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "LockedUntil",
                table: "Staff",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Lockouts",
                table: "Staff",
                type: "int",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Stamp",
                table: "Staff",
                type: "nvarchar(32)",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateTable(
                name: "StaffSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("SqlServer:Identity", "1, 1"),
                    TokenHash = table.Column<string>(type: "nvarchar(64)", maxLength: 64, nullable: false),
                    StaffAccountId = table.Column<int>(type: "int", nullable: true),
                    Name = table.Column<string>(type: "nvarchar(256)", maxLength: 256, nullable: false),
                    Stamp = table.Column<string>(type: "nvarchar(32)", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    LastSeenAt = table.Column<long>(type: "bigint", nullable: false),
                    ExpiresAt = table.Column<long>(type: "bigint", nullable: false),
                    EndedAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StaffSessions", x => x.Id);
                    table.ForeignKey(
                        name: "FK_StaffSessions_Staff_StaffAccountId",
                        column: x => x.StaffAccountId,
                        principalTable: "Staff",
                        principalColumn: "Id");
                });

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_ExpiresAt",
                table: "StaffSessions",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_StaffAccountId_EndedAt",
                table: "StaffSessions",
                columns: new[] { "StaffAccountId", "EndedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_StaffSessions_TokenHash",
                table: "StaffSessions",
                column: "TokenHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StaffSessions");

            migrationBuilder.DropColumn(
                name: "Disabled",
                table: "Staff");

            migrationBuilder.DropColumn(
                name: "FailedLogins",
                table: "Staff");

            migrationBuilder.DropColumn(
                name: "LockedUntil",
                table: "Staff");

            migrationBuilder.DropColumn(
                name: "Lockouts",
                table: "Staff");

            migrationBuilder.DropColumn(
                name: "Stamp",
                table: "Staff");
        }
    }
}
