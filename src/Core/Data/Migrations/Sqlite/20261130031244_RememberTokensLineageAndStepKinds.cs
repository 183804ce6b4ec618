using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RememberTokensLineageAndStepKinds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
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

            migrationBuilder.CreateIndex(
                name: "IX_Sessions_RememberTokenId",
                table: "Sessions",
                column: "RememberTokenId");

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
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RememberTokens");

            migrationBuilder.DropIndex(
                name: "IX_Sessions_RememberTokenId",
                table: "Sessions");

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
        }
    }
}
