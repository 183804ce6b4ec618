using System.Diagnostics;
using System.Text;
using CsCheck;
using Microsoft.EntityFrameworkCore;
using WikiSessions.Core.MediaWiki;

namespace WikiSessions.Core.Tests.MediaWiki;

/// <summary>
/// The console tells stewards what to paste into a shell on a wiki server. Whoever registered a user chose its name, so
/// a name must reach that shell as one argument, byte for byte, and run nothing.
/// </summary>
public sealed class ShellAdviceTests
{
    private const string Prefix = "php maintenance/invalidateUserSessions.php --user ";

    /// <summary>Every character a POSIX shell treats specially, and some that look harmless but are not.</summary>
    private const string Metacharacters = " \t\n'\"`$\\;|&<>(){}[]*?!~#=%^,-+:@/.\u00a0\u2028";

    private static readonly Gen<string> HostileNames = Gen.Frequency(
        (1, Gen.OneOf("Eve'$(id -un)'", "'", "''", "'\\''", "$(touch /tmp/pwned)", "`id`", "a;id", "a|id", "a&&id", "$HOME", "${IFS}", "-n", "--user=x",
            "\\", "\\'", "a\nid", "!!", "*", "~root", "{a,b}", "Ünïcødé 名前 😀")),
        (4, Gen.Char[Metacharacters + "abcXYZ09é名"].Array[1, 40].Select(c => new string(c))),
        (1, Gen.String[1, 40].Where(s => !s.Contains('\0') && BoundedText.IsWellFormed(s))));

    [Fact]
    public void A_quoted_name_comes_back_from_a_shell_byte_for_byte_whatever_it_holds()
    {
        HostileNames.Sample(name =>
        {
            var command = ShellText.ResetTokenCommand(name);
            Assert.StartsWith(Prefix, command);
            Assert.Equal(Encoding.UTF8.GetBytes(name), Sh("printf %s " + command[Prefix.Length..]));
        }, iter: 300, threads: 1, print: name => Convert.ToHexString(Encoding.UTF8.GetBytes(name)));
    }

    [Fact]
    public async Task The_advice_for_a_user_named_to_run_a_command_passes_the_name_and_runs_nothing()
    {
        const string name = "Eve'$(id -un)'";
        await using var farm = await TestFarm.StartAsync();
        var (store, wiki) = await KaskBodies.StoreAsync(farm);
        await store.PutAsync(await store.KeyAsync(wiki, "testwiki:MWSession:shell1", default), KaskBodies.Session(name, farm.Time.GetUtcNow().AddDays(1)), default);

        var done = await farm.Admin.InvalidateUserAsync(TestFarm.Steward, name, "Compromised");

        // What a steward would paste: the command as the console wrote it, up to the advice's closing words.
        var survives = done.Survives!;
        var start = survives.IndexOf(Prefix, StringComparison.Ordinal);
        var end = survives.LastIndexOf("); set MediaWiki:Wikis:", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, survives);
        Assert.Equal(Encoding.UTF8.GetBytes(name), Sh("printf %s " + survives[(start + Prefix.Length)..end]));
    }

    [Fact]
    public async Task A_reset_command_that_is_a_shell_gets_the_name_quoted_and_any_other_gets_it_as_one_argument()
    {
        const string name = "Eve'$(touch pwned)'; touch pwned2";
        var folder = Directory.CreateTempSubdirectory("reset-").FullName;
        var script = Path.Combine(folder, "reset.sh");
        await File.WriteAllTextAsync(script, "printf %s \"$1\" > \"$2\"\n");
        await using var farm = await TestFarm.StartAsync(configuration: new()
        {
            // One wiki runs a script with the name as its first argument, the other a shell whose script names the user.
            ["MediaWiki:Wikis:testwiki:ResetTokenCommand"] = $"/bin/sh {script} {{user}} {folder}/argument",
            ["MediaWiki:Wikis:testwiki:WorkingDirectory"] = folder,
            // (The command is split at spaces, so the script separates its words with tabs.)
            ["MediaWiki:Wikis:test2wiki:ResetTokenCommand"] = "/bin/sh -c printf\t%s\t{user}>script-argument",
            ["MediaWiki:Wikis:test2wiki:WorkingDirectory"] = folder,
        });
        var (store, testwiki) = await KaskBodies.StoreAsync(farm);
        var (_, test2wiki) = await KaskBodies.StoreAsync(farm, "test2wiki");
        var expires = farm.Time.GetUtcNow().AddDays(1);
        await store.PutAsync(await store.KeyAsync(testwiki, "testwiki:MWSession:shell2", default), KaskBodies.Session(name, expires), default);
        await store.PutAsync(await store.KeyAsync(test2wiki, "test2wiki:MWSession:shell3", default), KaskBodies.Session(name, expires), default);

        await farm.Admin.InvalidateUserAsync(TestFarm.Steward, name, "Compromised");

        Assert.Equal(name, await File.ReadAllTextAsync(Path.Combine(folder, "argument")));
        Assert.Equal(name, await File.ReadAllTextAsync(Path.Combine(folder, "script-argument")));
        Assert.False(File.Exists(Path.Combine(folder, "pwned")) || File.Exists(Path.Combine(folder, "pwned2")), "the name ran a command");
        Directory.Delete(folder, recursive: true);
    }

    /// <summary>What <c>/bin/sh -c</c> prints for <paramref name="script"/>, as bytes.</summary>
    private static byte[] Sh(string script)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        using var process = Process.Start(start)!;
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        return output.ToArray();
    }
}
