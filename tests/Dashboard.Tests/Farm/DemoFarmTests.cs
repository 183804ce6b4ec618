using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Farm;

namespace WikiSessions.Dashboard.Tests.Farm;

/// <summary>The app with the demo farm on, fast and for a few seconds only.</summary>
public sealed class BusyFarmFactory : LoopbackAppFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("DemoFarm:Enabled", "true"),
        new("DemoFarm:RequestsPerSecond", "150"),
        new("DemoFarm:MaxBrowsers", "40"),
        new("DemoFarm:Duration", "00:00:04"),
    ];
}

public class DemoFarmTests(BusyFarmFactory app) : IClassFixture<BusyFarmFactory>
{
    [Fact]
    public async Task The_demo_farm_makes_sessions_on_several_wikis_without_errors_and_stops_by_itself()
    {
        _ = app.Address;
        var farm = app.Services.GetRequiredService<DemoFarm>();

        await farm.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, farm.Failures);
        Assert.Equal(0, farm.Statuses.Unexpected());
        Assert.True(farm.Statuses.Total >= 50, $"only {farm.Statuses.Total} requests");
        using var developer = app.Loopback(LoopbackAppFactory.StaffToken("developer"));
        var wikis = await developer.GetFromJsonAsync<List<WikiOverview>>("/api/v1/admin/wikis", FarmApi.Json);
        var busy = wikis!.Where(w => w.ActiveSessions > 0).ToList();
        Assert.True(busy.Count >= 3, $"sessions on {busy.Count} wikis only");
        Assert.Contains(busy, w => w.ByProvider.ContainsKey(ProviderKind.Cookie));
    }

    [Fact]
    public async Task The_demo_farm_never_touches_the_sandbox_users()
    {
        _ = app.Address;
        await app.Services.GetRequiredService<DemoFarm>().Completion.WaitAsync(TimeSpan.FromSeconds(60));

        using var support = app.Loopback(LoopbackAppFactory.StaffToken("support"));
        foreach (var sandbox in AppFactory.Credentials.SandboxUsers)
        {
            var history = await support.GetFromJsonAsync<Paged<AdminSession>>($"/api/v1/admin/users/{Uri.EscapeDataString(sandbox)}/history", FarmApi.Json);
            Assert.Equal(0, history!.Total);
        }
    }
}
