using Microsoft.Extensions.Configuration;

namespace WikiSessions.Core.Sessions;

/// <summary>
/// The server's key for session handles, the IDs of sessions derived from a credential, and OAuth authorizations.
/// It never lives in the store, so a copy of the database (or of its backups) cannot be turned into a credential:
/// it comes from configuration (<c>Sessions:ServerKey</c>) or from a key file kept beside the store, never in it.
/// </summary>
public sealed class ServerKey(string key)
{
    public const string Setting = "Sessions:ServerKey";
    public const string FileSetting = "Sessions:ServerKeyFile";

    /// <summary>An HMAC of <paramref name="value"/> under the key, as hex.</summary>
    public string Mac(string value) => Secrets.Hmac(key, value);

    /// <summary>The non-secret handle of a session: stable, and useless for logging in.</summary>
    public string Handle(string sessionId) => Mac("handle|" + sessionId)[..16];

    /// <summary>
    /// <c>Sessions:ServerKey</c> when set (at least 32 characters, e.g. 64 hex digits from a secret store); otherwise the
    /// key file (<c>Sessions:ServerKeyFile</c>, default <c>keys/server.key</c> in the data folder), made on first start.
    /// </summary>
    public static ServerKey Load(IConfiguration configuration, string dataFolder)
    {
        if (configuration[Setting] is { Length: > 0 } configured)
        {
            return configured.Length >= 32
                ? new ServerKey(configured)
                : throw new InvalidOperationException($"{Setting} is too short: use at least 32 characters, e.g. the 64 hex digits of `openssl rand -hex 32`.");
        }
        var path = configuration[FileSetting] is { Length: > 0 } file ? file : Path.Combine(dataFolder, "keys", "server.key");
        return new ServerKey(ReadOrCreate(path));
    }

    private static string ReadOrCreate(string path)
    {
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var key = Secrets.NewToken();
        try
        {
            // CreateNew: when two instances start at once, one writes and the other reads what it wrote.
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var writer = new StreamWriter(stream);
            writer.Write(key);
            return key;
        }
        catch (IOException) when (File.Exists(path))
        {
            return WaitForKey(path);
        }
    }

    private static string WaitForKey(string path)
    {
        for (var i = 0; i < 50; i++)
        {
            var text = File.ReadAllText(path).Trim();
            if (text.Length >= 32) return text;
            Thread.Sleep(20);
        }
        throw new InvalidOperationException($"The server key file {path} is empty or too short; delete it to make a new one, or set {Setting}.");
    }
}
