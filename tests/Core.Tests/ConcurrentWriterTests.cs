using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace WikiSessions.Core.Tests;

/// <summary>
/// Issue 17, defect 7: on a store with concurrent writers (SQL Server, any server database) another request's write can
/// commit between two statements of a logout or of a restore. SQLite has one writer and the write gate queues the app's
/// transactions, so there the interleaving cannot happen by itself: <see cref="Interleaving"/> stages it, running what
/// the other request committed on the statement's own connection just before the statement.
/// </summary>
public sealed class ConcurrentWriterTests
{
    private const string En = "en.wikipedia.org";
    private static readonly Dictionary<string, string> NoCookies = [];

    [Fact]
    public async Task Defect7_a_restore_from_a_remember_me_token_that_a_global_logout_ended_meanwhile_creates_nothing()
    {
        var interleaving = new Interleaving();
        await using var farm = await TestFarm.StartAsync(services: s => s.AddSingleton<IInterceptor>(interleaving));
        var login = await farm.LoginAsync(remember: true);
        var remembered = TestFarm.CookiesFor(login.SetCookies, En).Where(c => c.Key is "enwikiUserID" or "enwikiToken").ToDictionary();

        // The restore has read the token, still open; a global logout of the browser commits before the restore writes.
        interleaving.Before(IsWrite, command => Execute(command,
            $"""UPDATE "RememberTokens" SET "EndedAt" = "IssuedAt", "EndReason" = 'LoggedOutElsewhere' WHERE "EndedAt" IS NULL AND "UserId" = {Alice}""",
            $"""UPDATE "CentralSessions" SET "EndedAt" = "CreatedAt", "EndReason" = 'LoggedOutElsewhere', "Version" = "Version" + 1 WHERE "EndedAt" IS NULL AND "UserId" = {Alice}""",
            $"""UPDATE "Sessions" SET "EndedAt" = "CreatedAt", "EndReason" = 'LoggedOutElsewhere' WHERE "EndedAt" IS NULL AND "UserId" = {Alice}"""));
        var restore = await farm.ResolveAsync("enwiki", remembered);

        Assert.True(interleaving.Fired);
        Assert.Null(restore.Session);
        Assert.Equal(0, await LiveSessionsAsync(farm));
    }

    [Fact]
    public async Task Defect7_a_global_logout_leaves_no_auto_login_that_committed_while_it_ran()
    {
        var interleaving = new Interleaving();
        await using var farm = await TestFarm.StartAsync(services: s => s.AddSingleton<IInterceptor>(interleaving));
        var login = await farm.LoginAsync();
        var central = TestFarm.CookiesFor(login.SetCookies, TestFarm.CentralHost);
        Assert.True((await farm.ResolveAsync("dewiki", NoCookies, central)).AutoLogin);
        await using var db = farm.Db();
        var template = await db.Sessions.Where(s => s.Wiki!.DbName == "dewiki").Select(s => s.Id).SingleAsync();
        var columns = string.Join(", ", db.Model.FindEntityType(typeof(Session))!.GetProperties()
            .Where(p => p.Name is not (nameof(Session.Id) or nameof(Session.IdHash) or nameof(Session.Handle) or nameof(Session.EndedAt) or nameof(Session.EndReason) or nameof(Session.EndedBy)))
            .Select(p => $"\"{p.GetColumnName()}\""));
        var raced = Secrets.NewSessionId();

        // An auto-login on dewiki that read the central session live, claimed it and committed just before the logout ends it.
        interleaving.Before(c => c.CommandText.Contains("UPDATE \"CentralSessions\"", StringComparison.Ordinal) && c.CommandText.Contains("\"EndedAt\" = @", StringComparison.Ordinal),
            command => Execute(command,
                $"""INSERT INTO "Sessions" ("IdHash", "Handle", {columns}) SELECT '{Secrets.Sha256(raced)}', 'raced-auto-login', {columns} FROM "Sessions" WHERE "Id" = {template}"""));
        var logout = await farm.Logouts.LogoutAsync(new LogoutRequest("enwiki", TestFarm.CookiesFor(login.SetCookies, En), central, LogoutScope.Global, TestFarm.Browser));

        Assert.True(interleaving.Fired);
        Assert.Equal(LogoutOutcome.Complete, logout.Outcome);
        Assert.Null((await farm.ResolveAsync("dewiki", new Dictionary<string, string> { ["dewiki_session"] = raced })).Session);
        Assert.Equal(0, await LiveSessionsAsync(farm));
    }

    private const string Alice = $"(SELECT \"Id\" FROM \"Users\" WHERE \"Name\" = '{TestFarm.Alice}')";

    private static bool IsWrite(DbCommand command) =>
        command.CommandText.TrimStart() is var sql && (sql.StartsWith("INSERT", StringComparison.Ordinal) || sql.StartsWith("UPDATE", StringComparison.Ordinal) || sql.StartsWith("DELETE", StringComparison.Ordinal));

    private static void Execute(DbCommand at, params string[] statements)
    {
        foreach (var sql in statements)
        {
            using var command = at.Connection!.CreateCommand();
            command.Transaction = at.Transaction;
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }

    private static async Task<int> LiveSessionsAsync(TestFarm farm)
    {
        await using var db = farm.Db();
        var epoch = await db.Farm.Select(f => f.Epoch).SingleAsync();
        return await Validity.Active(db, db.Sessions.Where(s => s.User!.Name == TestFarm.Alice), epoch, farm.Time.GetUtcNow()).CountAsync();
    }

    /// <summary>Runs a write once, on the connection and transaction of the first command that matches, just before it.</summary>
    private sealed class Interleaving : DbCommandInterceptor
    {
        private Func<DbCommand, bool>? _when;
        private Action<DbCommand>? _run;

        public bool Fired { get; private set; }

        public void Before(Func<DbCommand, bool> when, Action<DbCommand> run) => (_when, _run) = (when, run);

        private void Check(DbCommand command)
        {
            if (_when is not { } when || !when(command)) return;
            var run = _run!;
            (_when, _run) = (null, null);
            run(command);
            Fired = true;
        }

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        { Check(command); return result; }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        { Check(command); return ValueTask.FromResult(result); }

        public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
        { Check(command); return result; }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        { Check(command); return ValueTask.FromResult(result); }
    }
}
