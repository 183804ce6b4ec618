using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class AuditIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Audit_Target",
                table: "Audit");

            migrationBuilder.CreateIndex(
                name: "IX_Audit_Action_Id",
                table: "Audit",
                columns: new[] { "Action", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Audit_Actor_Id",
                table: "Audit",
                columns: new[] { "Actor", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Audit_Target_Id",
                table: "Audit",
                columns: new[] { "Target", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Audit_Action_Id",
                table: "Audit");

            migrationBuilder.DropIndex(
                name: "IX_Audit_Actor_Id",
                table: "Audit");

            migrationBuilder.DropIndex(
                name: "IX_Audit_Target_Id",
                table: "Audit");

            migrationBuilder.CreateIndex(
                name: "IX_Audit_Target",
                table: "Audit",
                column: "Target");
        }
    }
}
