using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.Data;
using WikiSessions.Core.Seeding;
using WikiSessions.Dashboard.Farm;

namespace WikiSessions.Dashboard;

/// <summary>Command-line verbs: <c>dotnet run --project src/Dashboard -- VERB ...</c>.</summary>
public static class Commands
{
    /// <returns>True when <paramref name="args"/> named a command, which has run; the app then exits instead of serving.</returns>
    public static async Task<bool> TryRunAsync(WebApplication app, string[] args)
    {
        switch (args)
        {
            case ["rotate-credentials", var path]:
                var fresh = await DemoCredentialGuard.RotateAsync(app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>());
                await File.WriteAllTextAsync(path, JsonSerializer.Serialize(fresh, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                Console.WriteLine($"New wiki keys and staff credentials written to {path} (readable by you only). Keep it out of the repository.");
                return true;
            case ["rotate-credentials"]:
                Console.Error.WriteLine($"Usage: {DemoCredentialGuard.RotateCommand}");
                Environment.ExitCode = 2;
                return true;
            case ["add-wiki", var dbName, var host, var group]:
                try
                {
                    var key = await app.Services.GetRequiredService<Core.Admin.WikiRegistry>().AddAsync(dbName, host, group);
                    Console.WriteLine($"Added {dbName} ({host}, {group}). Its key, shown only now: {key}");
                    Console.WriteLine($"MediaWiki sends it as 'Authorization' => 'Bearer {key}' (docs/mediawiki.md). Restart running instances.");
                }
                catch (Core.Sessions.SessionException ex)
                {
                    Console.Error.WriteLine(ex.Message);
                    Environment.ExitCode = 2;
                }
                return true;
            case ["add-wiki", ..]:
                Console.Error.WriteLine("Usage: dotnet run --project src/Dashboard -- add-wiki <dbname> <host> <group0|group1|group2>");
                Environment.ExitCode = 2;
                return true;
            case ["replay", var scenario]:
                Environment.ExitCode = await ReplayCommand.RunAsync(app, scenario);
                return true;
            case ["replay"]:
                Console.Error.WriteLine($"Usage: dotnet run --project src/Dashboard -- replay <{string.Join("|", app.Services.GetRequiredService<ReplayRunner>().Scenarios)}>");
                Environment.ExitCode = 2;
                return true;
            case ["soak", var duration] when TimeSpan.TryParse(duration, System.Globalization.CultureInfo.InvariantCulture, out var length) && length > TimeSpan.Zero:
                Environment.ExitCode = await SoakCommand.RunAsync(app, length);
                return true;
            case ["soak", ..]:
                Console.Error.WriteLine("Usage: dotnet run -c Release --project src/Dashboard -- soak <duration, e.g. 00:30:00>");
                Environment.ExitCode = 2;
                return true;
            case ["copy-store", "--from", var file]:
                Environment.ExitCode = await CopyStoreAsync(app, file);
                return true;
            case ["copy-store", ..]:
                Console.Error.WriteLine("Usage: Database__Provider=PostgreSql ConnectionStrings__Sessions=... dotnet run --project src/Dashboard -- copy-store --from <the farm's SQLite file>");
                Environment.ExitCode = 2;
                return true;
            default:
                return false;
        }
    }

    /// <summary>Copies a stopped farm's SQLite file into the configured PostgreSQL database (docs/scale-out.md).</summary>
    private static async Task<int> CopyStoreAsync(WebApplication app, string file)
    {
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"There is no SQLite file at {Path.GetFullPath(file)}.");
            return 2;
        }
        await using var source = new SqliteSessionsDb(new DbContextOptionsBuilder<SqliteSessionsDb>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadOnly }.ToString()).Options);
        await using var target = await app.Services.GetRequiredService<IDbContextFactory<SessionsDb>>().CreateDbContextAsync();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            var tables = await StoreCopy.CopyAsync(source, target, t => Console.WriteLine($"  {t.Table}: {t.Rows:N0} rows ({watch.Elapsed.TotalSeconds:N1} s)"));
            Console.WriteLine($"Copied {tables.Sum(t => t.Rows):N0} rows of {tables.Count} tables from {file} in {watch.Elapsed.TotalSeconds:N1} s. Start the instances on PostgreSQL now; keep the file as the record.");
            return 0;
        }
        catch (Core.Sessions.SessionException ex)
        {
            Console.Error.WriteLine($"Nothing was copied: {ex.Message}");
            return 2;
        }
    }
}
