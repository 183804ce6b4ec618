using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Components.Replays;

namespace WikiSessions.Dashboard.Farm;

/// <summary><c>dotnet run --project src/Dashboard -- replay &lt;scenario&gt;</c>: serve briefly, replay against itself, print the result.</summary>
public static class ReplayCommand
{
    /// <returns>The exit code: 0 when the replay showed what it should, 1 when not, 2 for an unknown scenario.</returns>
    public static async Task<int> RunAsync(WebApplication app, string scenario)
    {
        var runner = app.Services.GetRequiredService<ReplayRunner>();
        if (!runner.Scenarios.Contains(scenario))
        {
            await Console.Error.WriteLineAsync($"There is no replay named '{scenario}'. Replays: {string.Join(", ", runner.Scenarios)}.");
            return 2;
        }
        // A free loopback port, so the replay does not clash with a dashboard already serving on the usual one, and
        // only the replay's own traffic: the demo farm stays off.
        app.Urls.Clear();
        app.Urls.Add("http://127.0.0.1:0");
        app.Services.GetRequiredService<DemoFarm>().HoldOff();
        app.UseDashboard();
        await app.StartAsync();
        try
        {
            // Whoever runs the command on the server holds the store already; naming the replay is the confirmation.
            var start = new ReplayStart(scenario, new StaffActor($"{Environment.UserName} (command line)", StaffRole.Steward),
                "started from the command line", ReplayStart.EveryoneWord);
            var result = await runner.RunAsync(start, app.Lifetime.ApplicationStopping);
            Console.WriteLine(JsonSerializer.Serialize(result, new JsonSerializerOptions(FarmApi.Json)
            {
                WriteIndented = true,
                DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
                Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            }));
            return result.AsExpected ? 0 : 1;
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
