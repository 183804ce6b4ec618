using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class SessionCountSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The triggers name the counters' key in their upserts: dropped before it changes, made again after. The
            // table is made anew rather than rebuilt: SQLite's rebuild runs after the triggers are made, and they would
            // name the table it drops. Create fills it again from the sessions.
            SessionCounters.Drop(migrationBuilder);

            migrationBuilder.DropTable(name: "SessionCounts");

            migrationBuilder.CreateTable(
                name: "SessionCounts",
                columns: table => new
                {
                    WikiId = table.Column<int>(type: "INTEGER", nullable: false),
                    Epoch = table.Column<long>(type: "INTEGER", nullable: false),
                    Provider = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    Anonymous = table.Column<bool>(type: "INTEGER", nullable: false),
                    Slot = table.Column<short>(type: "INTEGER", nullable: false, defaultValue: (short)0),
                    OpenSessions = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SessionCounts", x => new { x.WikiId, x.Epoch, x.Provider, x.Anonymous, x.Slot });
                });

            migrationBuilder.CreateIndex(
                name: "IX_SessionCounts_Epoch",
                table: "SessionCounts",
                column: "Epoch");

            SessionCounters.Create(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            // The triggers of the earlier key are not kept in the code any more: going back would leave the counters
            // without them, so it is refused before anything changes.
            throw new NotSupportedException("The SessionCountSlots migration cannot be reverted: restore the store from a backup taken before it instead.");
    }
}
