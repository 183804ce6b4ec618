using WikiSessions.Core.Admin;

namespace WikiSessions.Core.Tests.Admin;

public abstract class SessionExportTests(StoreKind store) : EngineTests(store)
{
    public sealed class OnSqlite() : SessionExportTests(StoreKind.Sqlite);
    public sealed class OnPostgreSql() : SessionExportTests(StoreKind.PostgreSql);
    public sealed class OnSqlServer() : SessionExportTests(StoreKind.SqlServer);

    [Fact]
    public async Task Logins_during_an_export_neither_repeat_nor_skip_rows()
    {
        await using var farm = await StartAsync();
        // More than two pages of the export.
        for (var i = 0; i < 1100; i++) await farm.LoginAsync(TestFarm.Carol);
        var filter = new SessionFilter();
        var expected = (await farm.SessionQueries.SessionsAsync(filter, 1, 1)).Total;

        var handles = new List<string>();
        await foreach (var session in farm.SessionQueries.ExportAsync(filter))
        {
            handles.Add(session.Handle);
            // New logins land at the front of the newest-first order: an export by offset sends rows twice.
            if (handles.Count % 400 == 0) await farm.LoginAsync(TestFarm.Carol);
        }

        Assert.Equal(expected, handles.Count);
        Assert.Equal(handles.Count, handles.Distinct().Count());
    }

    [Theory]
    [InlineData(2147483647, 500)]
    [InlineData(1_000_001, 1)]
    [InlineData(0, 50)]
    [InlineData(1, 501)]
    public async Task A_page_past_the_limits_is_refused_never_wrapped(int page, int pageSize)
    {
        await using var farm = await StartAsync();
        var refused = await Assert.ThrowsAsync<SessionException>(() => farm.SessionQueries.SessionsAsync(new SessionFilter(), page, pageSize));
        Assert.Equal(Failure.Invalid, refused.Failure);
        await Assert.ThrowsAsync<SessionException>(() => farm.FarmQueries.AuditAsync(page, pageSize));
    }

    [Fact]
    public async Task The_last_allowed_page_is_empty_not_page_one()
    {
        await using var farm = await StartAsync();
        var last = await farm.SessionQueries.SessionsAsync(new SessionFilter(), 1_000_000, 500);
        Assert.Empty(last.Items);
    }
}
