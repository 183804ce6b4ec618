using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Sessions;
using WikiSessions.Dashboard.Components.Actions;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Pages.Users;

public partial class UserPage
{
    /// <summary>The global user shown, from the route.</summary>
    [Parameter] public string? Name { get; set; }

    [Inject] private SessionQueries Queries { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private bool _loading;
    private bool _allWikis;
    private UserDetail? _user;
    private IReadOnlyList<AdminSession> _history = [];
    private int _historyTotal;

    protected override Task OnParametersSetAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        _user = null;
        if (Name is null) return;
        _loading = true;
        try
        {
            _user = await Queries.UserAsync(Name);
            var history = await Queries.HistoryAsync(Name, 1, 100);
            (_history, _historyTotal) = (history.Items, history.Total);
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
        if (await Dialogs.ShowActionAsync(kind, user: Name)) await LoadAsync();
    }
}
