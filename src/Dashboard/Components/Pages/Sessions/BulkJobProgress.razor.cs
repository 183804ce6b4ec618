using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Pages.Sessions;

/// <summary>
/// The latest bulk job with its progress bar. Redraws when a batch commits on this instance, and on any steward
/// action the live feed reports (a job run by another instance), at most a few times a second.
/// </summary>
public partial class BulkJobProgress
{
    [Inject] private BulkJobs Jobs { get; set; } = default!;
    [Inject] private SessionFeed Feed { get; set; } = default!;
    [Inject] private StaffActions Actions { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    /// <summary>Whether the viewer may cancel a job.</summary>
    [Parameter] public bool Steward { get; set; }
    /// <summary>Raised when the job shown stops running (done or cancelled), so the page can show what it ended.</summary>
    [Parameter] public EventCallback<BulkJobView> Finished { get; set; }

    private BulkJobView? _job;
    private string? _cancelReason;
    private RedrawThrottle? _throttle;
    private IDisposable? _feed;

    protected override async Task OnInitializedAsync()
    {
        _throttle = new RedrawThrottle(Time, TimeSpan.FromMilliseconds(250), () => InvokeAsync(ReloadAsync));
        Jobs.Changed += OnChanged;
        _feed = Feed.Subscribe(n => { if (n.Kind == SessionEventKind.AdminAction) _throttle.Poke(); });
        _job = (await Jobs.JobsAsync(1)).FirstOrDefault();
    }

    /// <summary>Shows a job the page just started, before its first batch.</summary>
    public Task ShowAsync(BulkJobView job)
    {
        _job = job;
        _throttle?.Poke();
        return InvokeAsync(StateHasChanged);
    }

    private void OnChanged(long id) => _throttle?.Poke();

    private async Task ReloadAsync()
    {
        try
        {
            var was = _job;
            _job = (await Jobs.JobsAsync(1)).FirstOrDefault();
            StateHasChanged();
            if (was is { State: BulkJobState.Running } && _job is { State: not BulkJobState.Running } job && job.Id == was.Id) await Finished.InvokeAsync(job);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next change tries again; a transient store error must not tear the page down.
        }
    }

    private async Task CancelAsync()
    {
        if (_job is null || string.IsNullOrWhiteSpace(_cancelReason)) return;
        try
        {
            _job = await Actions.RunAsync(actor => Jobs.CancelAsync(actor, _job.Id, _cancelReason.Trim()));
            _cancelReason = null;
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
        }
    }

    private static string Counts(BulkJobView job) => job.Kind == BulkJobKind.RevokeSessions
        ? $"{job.SessionsEnded:N0} of {job.Matched:N0} matching sessions revoked in {Batches(job.Batches)}."
        : $"{job.UsersInvalidated:N0} of {job.Matched:N0} users invalidated in {Batches(job.Batches)}: {job.SessionsEnded:N0} sessions, " +
          $"{job.CentralSessionsEnded:N0} central sessions and {job.RememberTokensEnded:N0} remember-me tokens ended.";

    public void Dispose()
    {
        Jobs.Changed -= OnChanged;
        _feed?.Dispose();
        _throttle?.Dispose();
    }

    private static string Batches(int batches) => batches == 1 ? "1 batch" : $"{batches:N0} batches";
}
