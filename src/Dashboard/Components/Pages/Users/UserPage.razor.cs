using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Actions;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Pages.Users;

public partial class UserPage : IDisposable
{
    /// <summary>The global user shown, from the route.</summary>
    [Parameter] public string? Name { get; set; }

    [Inject] private UserQueries Queries { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private SessionFeed Feed { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    private RedrawThrottle? _throttle;
    private IDisposable? _subscription;

    private bool _loading;
    private bool _allWikis;
    private UserDetail? _user;
    private IReadOnlyList<AdminSession> _history = [];
    private int _historyTotal;
    private int _historyPages;
    private const int HistoryPage = 100;

    /// <summary>The next page of the history, appended: a long-lived account can have thousands of sessions.</summary>
    private async Task LoadOlderAsync()
    {
        try
        {
            var older = await Queries.HistoryAsync(Name!, _historyPages + 1, HistoryPage);
            (_history, _historyPages) = ([.. _history, .. older.Items], _historyPages + 1);
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
        }
    }

    protected override Task OnParametersSetAsync()
    {
        // The page follows the user's sessions as wikis and stewards change them (a farm-wide action names no user).
        _throttle ??= new RedrawThrottle(Time, TimeSpan.FromSeconds(2), () => InvokeAsync(RefreshAsync));
        _subscription ??= Feed.Subscribe(n => { if (Name is not null && (n.User == Name || n.User is null && n.Kind == SessionEventKind.AdminAction)) _throttle.Poke(); });
        return LoadAsync();
    }

    /// <summary>Reads the user again in place: no progress bar, nothing the steward is looking at or focused on disappears.</summary>
    private async Task RefreshAsync()
    {
        if (Name is null || _user is null || _loading) return;
        try
        {
            var user = await Queries.UserAsync(Name);
            // Every page the steward has opened, up to the largest page the store serves.
            var history = await Queries.HistoryAsync(Name, 1, Math.Min(HistoryPage * Math.Max(1, _historyPages), 500));
            (_user, _history, _historyTotal) = (user, history.Items, history.Total);
            StateHasChanged();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Snackbar.Problem(ex);
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _throttle?.Dispose();
    }

    private async Task LoadAsync()
    {
        _user = null;
        if (Name is null) return;
        _loading = true;
        try
        {
            _user = await Queries.UserAsync(Name);
            var history = await Queries.HistoryAsync(Name, 1, HistoryPage);
            (_history, _historyTotal, _historyPages) = (history.Items, history.Total, 1);
        }
        catch (SessionException ex) when (ex.Failure == Failure.NotFound)
        {
            _user = null; // the page says so
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
        }
        finally
        {
            _loading = false;
        }
    }

    private async Task<IEnumerable<string>> SuggestAsync(string? prefix, CancellationToken cancellationToken) =>
        await Queries.SuggestUsersAsync(prefix ?? "", 10, cancellationToken);

    private Task OpenAsync(string? name)
    {
        if (!string.IsNullOrWhiteSpace(name) && name != Name) Navigation.NavigateTo($"/users/{Uri.EscapeDataString(name)}");
        return Task.CompletedTask;
    }

    private async Task ActAsync(AdminActionKind kind)
    {
        if (await Dialogs.ShowActionAsync(kind, user: Name)) await RefreshAsync();
    }

    private async Task RevokeAsync(AdminActionKind kind, string credential)
    {
        if (await Dialogs.ShowActionAsync(kind, user: Name, credential: credential)) await RefreshAsync();
    }

    private async Task SecureAsync()
    {
        if (await Dialogs.ShowSecureAccountAsync(Name!)) await RefreshAsync();
    }
}
