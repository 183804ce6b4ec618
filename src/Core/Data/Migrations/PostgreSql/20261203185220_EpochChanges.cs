using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.PostgreSql
{
    /// <inheritdoc />
    public partial class EpochChanges : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "EpochChanges",
                columns: table => new
                {
                    Epoch = table.Column<long>(type: "bigint", nullable: false),
                    At = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EpochChanges", x => x.Epoch);
                });

            // The epoch the farm is in began at its last invalidation; earlier ones were not kept before this table.
            migrationBuilder.Sql("INSERT INTO \"EpochChanges\" (\"Epoch\", \"At\") SELECT \"Epoch\", \"EpochChangedAt\" FROM \"Farm\" WHERE \"EpochChangedAt\" IS NOT NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "EpochChanges");
        }
    }
}
