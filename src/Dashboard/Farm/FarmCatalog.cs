using WikiSessions.Core.Seeding;

namespace WikiSessions.Dashboard.Farm;

public sealed record FarmWiki(string DbName, string Host, int Weight);
public sealed record FarmUser(string Name, string Home, IReadOnlyList<string> Attached);
public sealed record FarmBot(string User, string AppId, string Home);
public sealed record FarmGrant(string User, string Consumer, string Home);

/// <summary>
/// The farm as the demo traffic sees it, read from <c>seed-data/</c>: open wikis weighted by traffic, the users
/// (never the sandbox users, which are kept for people and tests), their bot passwords and OAuth grants, and the keys.
/// </summary>
public sealed class FarmCatalog
{
    public FarmCatalog(string seedFolder)
    {
        Credentials = DemoCredentials.Read(seedFolder);
        var sandbox = Credentials.SandboxUsers.ToHashSet(StringComparer.Ordinal);
        var wikis = Rows(seedFolder, "wikis.tsv").ToList();
        Hosts = wikis.ToDictionary(r => r[0], r => r[1], StringComparer.Ordinal);
        CentralHost = Hosts[SeedLoader.CentralWiki];
        OpenWikis = wikis.Where(r => r[3] == "open" && int.Parse(r[4]) > 0).Select(r => new FarmWiki(r[0], r[1], int.Parse(r[4]))).ToList();
        _byTraffic = new Weighted<FarmWiki>(OpenWikis, w => w.Weight);
        var weights = OpenWikis.ToDictionary(w => w.DbName, w => w.Weight);

        Users = Rows(seedFolder, "users.tsv").Where(r => !sandbox.Contains(r[0]))
            .Select(r => new FarmUser(r[0], r[1], r[2].Split(',').Where(weights.ContainsKey).Distinct().ToList()))
            .Where(u => weights.ContainsKey(u.Home))
            .ToList();
        var homes = Users.ToDictionary(u => u.Name, u => u.Home, StringComparer.Ordinal);
        Bots = Rows(seedFolder, "bot-passwords.tsv").Where(r => homes.ContainsKey(r[0])).Select(r => new FarmBot(r[0], r[1], homes[r[0]])).ToList();
        Grants = Rows(seedFolder, "oauth-grants.tsv").Where(r => homes.ContainsKey(r[0])).Select(r => new FarmGrant(r[0], r[1], homes[r[0]])).ToList();
        _attachedByTraffic = Users.ToDictionary(u => u.Name, u => new Weighted<string>(u.Attached, w => weights[w]), StringComparer.Ordinal);
    }

    private readonly Weighted<FarmWiki> _byTraffic;
    private readonly Dictionary<string, Weighted<string>> _attachedByTraffic;

    public DemoCredentials Credentials { get; }
    public IReadOnlyDictionary<string, string> Hosts { get; }
    public string CentralHost { get; }
    public IReadOnlyList<FarmWiki> OpenWikis { get; }
    public IReadOnlyList<FarmUser> Users { get; }
    public IReadOnlyList<FarmBot> Bots { get; }
    public IReadOnlyList<FarmGrant> Grants { get; }

    public string WikiKey(string wiki) => Credentials.WikiKeys[wiki];

    public string? StaffToken(string role) => Credentials.Staff.FirstOrDefault(s => s.Role == role)?.Token;

    /// <summary>An open wiki, big ones more often than small ones.</summary>
    public FarmWiki RandomWiki() => _byTraffic.Pick();

    /// <summary>One of the user's wikis, big ones more often.</summary>
    public string RandomWikiOf(FarmUser user) => _attachedByTraffic[user.Name].Pick();

    public FarmUser RandomUser() => Users[Random.Shared.Next(Users.Count)];

    public FarmUser User(string name) => Users.First(u => u.Name == name);

    private static IEnumerable<string[]> Rows(string folder, string file) =>
        File.ReadLines(Path.Combine(folder, file)).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('\t'));

    /// <summary>Picks items in proportion to their weight (cumulative sums and a binary search).</summary>
    private sealed class Weighted<T>
    {
        private readonly T[] _items;
        private readonly long[] _cumulative;

        public Weighted(IEnumerable<T> items, Func<T, int> weight)
        {
            _items = items.ToArray();
            _cumulative = new long[_items.Length];
            long sum = 0;
            for (var i = 0; i < _items.Length; i++) _cumulative[i] = sum += Math.Max(1, weight(_items[i]));
        }

        public T Pick()
        {
            var x = Random.Shared.NextInt64(_cumulative[^1]);
            var i = Array.BinarySearch(_cumulative, x + 1);
            return _items[i >= 0 ? i : ~i];
        }
    }
}
