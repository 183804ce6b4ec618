using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace WikiSessions.Core.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class SessionCountSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The triggers name the counters' key in their upserts: dropped before it changes, made again after.
            SessionCounters.Drop(migrationBuilder);

            migrationBuilder.DropPrimaryKey(
                name: "PK_SessionCounts",
                table: "SessionCounts");

            migrationBuilder.AddColumn<short>(
                name: "Slot",
                table: "SessionCounts",
                type: "smallint",
                nullable: false,
                defaultValue: (short)0);

            migrationBuilder.AddPrimaryKey(
                name: "PK_SessionCounts",
                table: "SessionCounts",
                columns: new[] { "WikiId", "Epoch", "Provider", "Anonymous", "Slot" });

            SessionCounters.Create(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) =>
            // The triggers of the earlier key are not kept in the code any more: going back would leave the counters
            // without them, so it is refused before anything changes.
            throw new NotSupportedException("The SessionCountSlots migration cannot be reverted: restore the store from a backup taken before it instead.");
    }
}
