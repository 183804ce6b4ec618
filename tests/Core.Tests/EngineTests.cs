namespace WikiSessions.Core.Tests;

/// <summary>
/// A test class of the engine that runs on every store. The class is abstract and holds one nested class per store
/// (<c>LogoutTests+OnSqlite</c>, <c>+OnPostgreSql</c>, <c>+OnSqlServer</c>), so each test runs, and is reported, once per store.
/// SQL Server runs only against a server an operator names (<see cref="SqlServerStore"/>), and is skipped otherwise.
/// </summary>
public abstract class EngineTests(StoreKind store)
{
    protected StoreKind Store => store;

    /// <summary>The test's own seeded farm on this class's store (see <see cref="TestFarm.StartAsync"/>).</summary>
    protected Task<TestFarm> StartAsync(Action<SessionOptions>? configure = null, Dictionary<string, string?>? configuration = null) =>
        TestFarm.StartAsync(configure, configuration, store);
}
