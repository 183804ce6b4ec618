using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RememberTokensStaffSessionsAndMediaWikiStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // SQLite drops the column itself (3.35 and later, which Microsoft.Data.Sqlite bundles): EF's default rebuilds
            // the table outside the migration's transaction.
            migrationBuilder.Sql("ALTER TABLE \"Farm\" DROP COLUMN \"Secret\";");

            migrationBuilder.AddColumn<bool>(
                name: "Disabled",
                table: "Staff",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<int>(
                name: "FailedLogins",
                table: "Staff",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "LockedUntil",
                table: "Staff",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Lockouts",
                table: "Staff",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "Stamp",
                table: "Staff",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<long>(
                name: "RememberTokenId",
                table: "Sessions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "Kind",
                table: "LogoutTraceSteps",
                type: "TEXT",
                maxLength: 32,
                nullable: false,
                defaultValue: "Ended");

            migrationBuilder.AddColumn<long>(
                name: "SurvivedLogoutAt",
                table: "CentralSessions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "SurvivedLogoutTraceId",
                table: "CentralSessions",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "Blobs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    WikiId = table.Column<int>(type: "INTEGER", nullable: false),
                    KeyHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Kind = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SessionId = table.Column<long>(type: "INTEGER", nullable: true),
                    Body = table.Column<byte[]>(type: "BLOB", nullable: false),
                    Length = table.Column<int>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    WrittenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ReadAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Writes = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Blobs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_Blobs_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RememberTokens",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    UserId = table.Column<int>(type: "INTEGER", nullable: false),
                    WikiId = table.Column<int>(type: "INTEGER", nullable: false),
                    CentralSessionId = table.Column<long>(type: "INTEGER", nullable: true),
                    IssuedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UserToken = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    Epoch = table.Column<long>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EndReason = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RememberTokens", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RememberTokens_Users_UserId",
                        column: x => x.UserId,
                        principalTable: "Users",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_RememberTokens_Wikis_WikiId",
                        column: x => x.WikiId,
                        principalTable: "Wikis",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "StaffSessions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StaffAccountId = table.Column<int>(type: "INTEGER", nullable: true),
                    Name = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Stamp = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    LastSeenAt = table.Column<long>(type: "INTEGER", nullable: false),
                    ExpiresAt = table.Column<long>(type: "INTEGER", nullable: false),
                    EndedAt = table.Column<long>(type: "INTEGER", nullable: true)
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
                name: "IX_Sessions_RememberTokenId",
                table: "Sessions",
                column: "RememberTokenId");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_ExpiresAt",
                table: "Blobs",
                column: "ExpiresAt");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_KeyHash",
                table: "Blobs",
                column: "KeyHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_SessionId",
                table: "Blobs",
                column: "SessionId");

            migrationBuilder.CreateIndex(
                name: "IX_Blobs_WikiId",
                table: "Blobs",
                column: "WikiId");

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_CentralSessionId",
                table: "RememberTokens",
                column: "CentralSessionId");

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_EndedAt_ExpiresAt",
                table: "RememberTokens",
                columns: new[] { "EndedAt", "ExpiresAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_TokenHash",
                table: "RememberTokens",
                column: "TokenHash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_UserId_EndedAt",
                table: "RememberTokens",
                columns: new[] { "UserId", "EndedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_RememberTokens_WikiId",
                table: "RememberTokens",
                column: "WikiId");

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
                name: "Blobs");

            migrationBuilder.DropTable(
                name: "RememberTokens");

            migrationBuilder.DropTable(
                name: "StaffSessions");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_RememberTokenId",
                table: "Sessions");

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

            migrationBuilder.DropColumn(
                name: "RememberTokenId",
                table: "Sessions");

            migrationBuilder.DropColumn(
                name: "Kind",
                table: "LogoutTraceSteps");

            migrationBuilder.DropColumn(
                name: "SurvivedLogoutAt",
                table: "CentralSessions");

            migrationBuilder.DropColumn(
                name: "SurvivedLogoutTraceId",
                table: "CentralSessions");

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
