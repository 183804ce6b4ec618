using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Pages.Overview;

public partial class Overview
{
    /// <summary>Events kept for the live feed; older ones drop off.</summary>
    public const int FeedLength = 200;

    [Inject] private FarmQueries Queries { get; set; } = default!;
    [Inject] private SessionFeed Feed { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private IReadOnlyList<WikiOverview>? _wikis;
    private OperationsCharts? _charts;
    private IReadOnlyList<SessionNotice> _notices = [];
    private readonly LinkedList<SessionNotice> _incoming = new();
    private WikiGrid? _grid;
    private RedrawThrottle? _throttle;
    private IDisposable? _subscription;

    private IEnumerable<IGrouping<DeploymentGroup, WikiOverview>> Groups => _wikis!.GroupBy(w => w.Group).OrderBy(g => g.Key);

    protected override async Task OnInitializedAsync()
    {
        _throttle = new RedrawThrottle(Time, TimeSpan.FromSeconds(1), () => InvokeAsync(RefreshAsync));
        _subscription = Feed.Subscribe(OnNotice);
        await RefreshAsync();
    }

    private void OnNotice(SessionNotice notice)
    {
        lock (_gate)
        {
            _incoming.AddFirst(notice);
            if (_incoming.Count > FeedLength) _incoming.RemoveLast();
        }
        _throttle?.Poke();
    }

    private async Task RefreshAsync()
    {
        await _refreshing.WaitAsync();
        try
        {
            _wikis = await Queries.WikisAsync();
            lock (_gate) _notices = _incoming.ToList();
            StateHasChanged();
            if (_grid is not null) await _grid.ReloadAsync();
            // The charts read per-minute buckets and the live minute, never the session rows.
            if (_charts is not null) await _charts.ReloadAsync();
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private static string ProviderLine(IEnumerable<KeyValuePair<ProviderKind, int>> counts) =>
        string.Join(" · ", counts.GroupBy(c => WireNames.Of(c.Key)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Sum(c => c.Value):N0}")) is { Length: > 0 } line
            ? line : "no active sessions";

    public void Dispose()
    {
        _subscription?.Dispose();
        _throttle?.Dispose();
    }
}
