using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace WikiSessions.Core.Data;

/// <summary>
/// In WAL mode, <c>synchronous=NORMAL</c> cannot corrupt the file; it only risks the last commits on power loss,
/// which for sessions means a user logs in again. It removes an fsync from every commit.
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Apply(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Apply(connection);
        return Task.CompletedTask;
    }

    private static void Apply(DbConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL;";
        command.ExecuteNonQuery();
    }
}
