using Microsoft.Extensions.Options;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Api;
using WikiSessions.Dashboard.Components.Replays;

namespace WikiSessions.Dashboard.Farm;

/// <summary>What a replay did, what it observed, and whether that is what the fixed service must show.</summary>
public sealed record ReplayResult(string Scenario, bool AsExpected, string Summary, IReadOnlyList<string> Steps, IReadOnlyList<string> Findings)
{
    public TimeSpan Elapsed { get; init; }
    /// <summary>The replay's requests by HTTP status.</summary>
    public IReadOnlyDictionary<string, int> Statuses { get; init; } = new Dictionary<string, int>();

    public string? TraceId { get; init; }
    public LogoutOutcome? TraceOutcome { get; init; }
    public bool? CentralSessionSurvived { get; init; }
    public bool? LoggedBackIn { get; init; }
    public IReadOnlyList<string>? ResurrectionHandles { get; init; }

    public int? SessionsFromDeletedCookies { get; init; }
    public int? CookiesClearedThatWereNotSent { get; init; }
    public int? SecureCookiesSetOverPlainHttp { get; init; }

    public int? StaleRequestsAnswered { get; init; }
    public bool? LoggedInDespiteStaleCookies { get; init; }

    public int? Conflicts { get; init; }
    public int? ConcurrentWins { get; init; }
    public int? LostUpdates { get; init; }
    public bool? SessionSurvived { get; init; }

    public int? Unavailable { get; init; }
    public string? UnavailableTitle { get; init; }
    public long? StoreFailuresCounted { get; init; }
    public TimeSpan? RecoveredAfter { get; init; }

    public int? SessionsEnded { get; init; }
    public TimeSpan? InvalidationTook { get; init; }
    public int? RequestsDuringTraffic { get; init; }
    public int? SessionsStillResolving { get; init; }
    public int? LoggedInAgain { get; init; }
}

/// <summary>A replay step answered something else than the scenario needs to go on.</summary>
public sealed class ReplayStepFailed(string message) : Exception(message);

/// <summary>
/// Replays the failures the farm has lived through (DOMAIN.md), on demand, through the same HTTP API the wiki
/// servers use, so each one shows on the dashboard as it happens. One replay runs at a time. A steward's action in a
/// replay runs as the staff member who started it, after the checks of <see cref="ReplayStart.Authorize"/>.
/// </summary>
public sealed partial class ReplayRunner(
    LoopbackAddress address,
    FarmCatalog catalog,
    StoreHealth storeHealth,
    TraceQueries traces,
    UserQueries users,
    AdminService admin,
    IOptions<ReplayOptions> options,
    SessionFeed feed,
    TimeProvider time,
    ILogger<ReplayRunner> logger) : IReplayRunner
{
    public const string LogoutLogsBackIn = "logout-logs-back-in";
    public const string DeletedCookies = "deleted-cookies";
    public const string StaleAppCookies = "stale-app-cookies";
    public const string ConcurrentWrites = "concurrent-writes";
    public const string StoreOutage = "store-outage";
    public const string InvalidateEveryone = "invalidate-everyone";
    public const string RevokeLogsBackIn = "revoke-logs-back-in";
    public const string RememberMeSurvivesInvalidateEveryone = "remember-me-survives-invalidate-everyone";

    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly ReplayOptions _options = options.Value;

    public IReadOnlyList<string> Scenarios { get; } =
        [LogoutLogsBackIn, DeletedCookies, StaleAppCookies, ConcurrentWrites, StoreOutage, InvalidateEveryone, RevokeLogsBackIn, RememberMeSurvivesInvalidateEveryone];

    /// <summary>
    /// Invalidating everyone cannot be held to sandbox users: the farm epoch is one for all. So these replays act on the
    /// real farm, as the staff member who started them, with the role, reason and confirmation the action itself needs.
    /// </summary>
    public ReplayReach Reach(string scenario) => scenario switch
    {
        InvalidateEveryone or RememberMeSurvivesInvalidateEveryone => ReplayReach.EverySession,
        RevokeLogsBackIn => ReplayReach.StewardRevoke,
        _ => ReplayReach.OwnTraffic,
    };

    /// <summary>Plays the scenario to the end; a failed step is a result that says so, never an exception.</summary>
    /// <exception cref="ArgumentException">The scenario is not one of <see cref="Scenarios"/>.</exception>
    /// <exception cref="SessionException">The staff member may not start it, or the reason or confirmation is missing.</exception>
    /// <exception cref="InvalidOperationException">The app has no listening address to send the replay's traffic to.</exception>
    public async Task<ReplayResult> RunAsync(ReplayStart start, CancellationToken cancellationToken)
    {
        var scenario = start.Scenario;
        Authorize(start);
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var baseAddress = await address.WaitAsync(cancellationToken)
                ?? throw new InvalidOperationException("Replays need the app listening on a socket; it has no server address.");
            using var http = LoopbackAddress.Client(baseAddress);
            var run = new Run(new FarmApi(http, catalog, new StatusTally()), time);
            var started = time.GetTimestamp();
            logger.LogInformation("Replay {Scenario} started by {StaffName} against {Address}", scenario, start.Actor.Name, baseAddress);
            ReplayResult result;
            try
            {
                result = scenario switch
                {
                    LogoutLogsBackIn => await LogoutLogsBackInAsync(run, cancellationToken),
                    DeletedCookies => await DeletedCookiesAsync(run, cancellationToken),
                    StaleAppCookies => await StaleAppCookiesAsync(run, cancellationToken),
                    ConcurrentWrites => await ConcurrentWritesAsync(run, cancellationToken),
                    StoreOutage => await StoreOutageAsync(run, cancellationToken),
                    RevokeLogsBackIn => await RevokeLogsBackInAsync(run, start, cancellationToken),
                    RememberMeSurvivesInvalidateEveryone => await RememberMeSurvivesInvalidateEveryoneAsync(run, start, cancellationToken),
                    _ => await InvalidateEveryoneAsync(run, start, cancellationToken),
                };
            }
            catch (Exception ex) when (ex is ReplayStepFailed or HttpRequestException or SessionException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                run.Saw($"The replay could not go on: {ex.Message}");
                result = run.Result(scenario, false, $"Stopped early: {ex.Message}");
            }
            result = result with { Elapsed = time.GetElapsedTime(started), Statuses = run.Api.Tally.Snapshot() };
            logger.LogInformation("Replay {Scenario} finished in {Elapsed}: {Outcome}. {Summary}",
                scenario, result.Elapsed, result.AsExpected ? "as expected" : "NOT as expected", result.Summary);
            return result;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>
    /// Starts a replay for the dashboard and returns at once; its traffic shows in the live feed as it happens,
    /// and its verdict arrives there as a <see cref="SessionEventKind.ReplayFinished"/> notice.
    /// </summary>
    /// <exception cref="SessionException">The staff member may not start it, or the reason or confirmation is missing: nothing started.</exception>
    public Task StartAsync(ReplayStart start, CancellationToken cancellationToken)
    {
        var scenario = start.Scenario;
        Authorize(start);
        if (_oneAtATime.CurrentCount == 0)
            throw new InvalidOperationException("Another replay is still running; start this one when it has finished.");
        _ = Task.Run(async () =>
        {
            try
            {
                var result = await RunAsync(start, CancellationToken.None);
                feed.Publish(new SessionNotice(SessionEventKind.ReplayFinished, time.GetUtcNow(), null, null, null, null,
                    $"Replay {scenario} {(result.AsExpected ? "behaved as expected" : "did NOT behave as expected")}: {result.Summary}"));
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Replay {Scenario} failed", scenario);
                feed.Publish(new SessionNotice(SessionEventKind.ReplayFinished, time.GetUtcNow(), null, null, null, null, $"Replay {scenario} failed: {ex.Message}"));
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    private void Authorize(ReplayStart start)
    {
        if (!Scenarios.Contains(start.Scenario))
            throw new ArgumentException($"There is no replay named '{start.Scenario}'. Replays: {string.Join(", ", Scenarios)}.", nameof(start));
        start.Authorize(Reach(start.Scenario));
    }

    /// <summary>The state of one replay: its API client, and what it did and saw so far.</summary>
    private sealed class Run(FarmApi api, TimeProvider time)
    {
        private readonly List<string> _steps = [];
        private readonly List<string> _findings = [];

        public FarmApi Api => api;

        public void Did(string step) { lock (_steps) _steps.Add(step); }

        public void Saw(string finding) { lock (_findings) _findings.Add(finding); }

        public SimulatedBrowser Browser(string userAgent, bool secure = true, CookieJar? jar = null) =>
            new(api, new ClientBody(FarmActors.RandomIp(), userAgent, secure), jar ?? new CookieJar(time));

        public ReplayResult Result(string scenario, bool asExpected, string summary) => new(scenario, asExpected, summary, [.. _steps], [.. _findings]);
    }

    private static T Expect<T>(ApiReply<T> reply, string what) =>
        reply.Succeeded ? reply.Value! : throw new ReplayStepFailed($"{what} answered {(int)reply.Status}: {reply.Title ?? "no title"}");

    /// <summary>A user with at least one wiki besides the home wiki and the central login wiki, to wander to.</summary>
    private (FarmUser User, string Elsewhere) UserWithTwoWikis()
    {
        while (true)
        {
            var user = catalog.RandomUser();
            var elsewhere = user.Attached.FirstOrDefault(w => w != user.Home && w != Core.Seeding.SeedLoader.CentralWiki);
            if (elsewhere is not null) return (user, elsewhere);
        }
    }
}
