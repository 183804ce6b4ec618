using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Data;

namespace WikiSessions.Core.Tests.Data;

/// <summary>
/// The audit log grows with every steward action and every bulk batch: a page filtered by actor, action or target reads
/// through an index that ends in the ID it is ordered by, not through the whole log and a sort.
/// </summary>
public sealed class AuditIndexTests
{
    public static TheoryData<string, AuditFilter> Filters => new()
    {
        { "IX_Audit_Actor_Id", new AuditFilter(Actor: "Steward Sam") },
        { "IX_Audit_Action_Id", new AuditFilter(Action: "bulk-revoke-batch") },
        { "IX_Audit_Target_Id", new AuditFilter(Target: "Sandbox Carol") },
    };

    [Theory]
    [MemberData(nameof(Filters))]
    public async Task A_filtered_audit_page_walks_an_index_in_ID_order(string index, AuditFilter filter)
    {
        await using var farm = await TestFarm.StartAsync();
        await using var db = farm.Db();
        var page = FarmQueries.Audit(db, filter).OrderByDescending(a => a.Id).Take(50);

        var plan = await PlanAsync(db, page.ToQueryString());

        Assert.Contains($"USING INDEX {index}", plan);
        Assert.DoesNotContain("TEMP B-TREE", plan);
    }

    /// <summary>SQLite's plan for the query EF would run, its parameters bound to nothing (the plan does not depend on them).</summary>
    private static async Task<string> PlanAsync(SessionsDb db, string sql)
    {
        var lines = sql.Split('\n');
        var parameters = lines.Where(l => l.StartsWith(".param set ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + string.Join('\n', lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal)));
        foreach (var name in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = DBNull.Value;
            command.Parameters.Add(parameter);
        }
        await using var reader = await command.ExecuteReaderAsync();
        var plan = new List<string>();
        while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        return string.Join('\n', plan);
    }
}
