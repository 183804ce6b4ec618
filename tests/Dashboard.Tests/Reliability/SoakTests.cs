using System.Globalization;
using System.Text.RegularExpressions;
using WikiSessions.Testing;
using Xunit.Abstractions;

namespace WikiSessions.Dashboard.Tests.Reliability;

/// <summary>
/// The <c>soak</c> command, two minutes of it at 150 requests a second (the test build on a shared CI machine, not a
/// measure of peak throughput), as an operator would run it; docs/reliability.md runs it for 30 minutes at full rate.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class SoakTests(ITestOutputHelper output) : IAsyncLifetime
{
    private string _store = "";

    public async Task InitializeAsync() => _store = await SeededStore.CopyAsync("soak");

    [Fact]
    public async Task A_two_minute_soak_has_no_errors_levels_off_and_logs_under_one_line_per_thousand_resolves()
    {
        await using var soak = AppProcess.Start(_store, [new("Soak:ReportInterval", "00:00:10"), new("Soak:RequestsPerSecond", "150")], "soak", "00:02:00");
        var exit = await soak.WaitForExitAsync(TimeSpan.FromMinutes(8));
        var reports = soak.Output.Split('\n').Where(l => l.StartsWith("soak ", StringComparison.Ordinal) || l.StartsWith("Soak", StringComparison.Ordinal)).ToList();
        foreach (var line in reports) output.WriteLine(line);

        Assert.True(exit == 0, $"The soak exited with {exit}:\n{soak.Output}");
        var summary = Assert.Single(reports, l => l.StartsWith("Soak summary:", StringComparison.Ordinal));
        Assert.Contains("errors 0, lives cut short 0", summary);
        Assert.EndsWith("PASSED", summary);
        var perThousand = double.Parse(LogLines().Match(summary).Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(perThousand < 1, $"{perThousand} log lines per 1,000 resolves at the default level");
    }

    [GeneratedRegex(@"log lines ([0-9.]+) per 1,000 resolves after the first report")]
    private static partial Regex LogLines();

    public Task DisposeAsync()
    {
        SeededStore.Delete(_store);
        return Task.CompletedTask;
    }
}
