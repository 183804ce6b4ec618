using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class BulkJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BulkJobs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    State = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Actor = table.Column<string>(type: "character varying(85)", maxLength: 85, nullable: false),
                    Reason = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    Filter = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    FinishedAt = table.Column<long>(type: "bigint", nullable: true),
                    Matched = table.Column<int>(type: "integer", nullable: false),
                    Cursor = table.Column<long>(type: "bigint", nullable: false),
                    FirstKey = table.Column<long>(type: "bigint", nullable: false),
                    LastKey = table.Column<long>(type: "bigint", nullable: false),
                    SessionsBefore = table.Column<long>(type: "bigint", nullable: false),
                    CentralsBefore = table.Column<long>(type: "bigint", nullable: false),
                    TokensBefore = table.Column<long>(type: "bigint", nullable: false),
                    Batches = table.Column<int>(type: "integer", nullable: false),
                    UsersInvalidated = table.Column<int>(type: "integer", nullable: false),
                    SessionsEnded = table.Column<int>(type: "integer", nullable: false),
                    CentralSessionsEnded = table.Column<int>(type: "integer", nullable: false),
                    RememberTokensEnded = table.Column<int>(type: "integer", nullable: false),
                    CancelRequested = table.Column<bool>(type: "boolean", nullable: false),
                    CancelledBy = table.Column<string>(type: "character varying(85)", maxLength: 85, nullable: true),
                    CheckPassed = table.Column<bool>(type: "boolean", nullable: true),
                    CheckSummary = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    Survives = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BulkJobs", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BulkJobs_State",
                table: "BulkJobs",
                column: "State");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BulkJobs");
        }
    }
}
