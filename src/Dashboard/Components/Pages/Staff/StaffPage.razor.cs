using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Pages.Staff;

/// <summary>Stewards see and change staff accounts here; other staff never reach the page.</summary>
public partial class StaffPage
{
    [Inject] private StaffAccounts Accounts { get; set; } = default!;
    [Inject] private StaffActions Actions { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private IReadOnlyList<StaffAccountView>? _accounts;

    protected override Task OnInitializedAsync() => LoadAsync();

    private async Task LoadAsync()
    {
        try
        {
            _accounts = await Actions.RunAsync(actor => Accounts.ListAsync(actor));
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
            _accounts ??= [];
        }
    }

    /// <summary>The engine refuses to remove the last active steward; the page says so before anyone tries.</summary>
    private bool IsLastSteward(StaffAccountView a) =>
        a is { Role: StaffRole.Steward, Disabled: false } && _accounts!.Count(s => s is { Role: StaffRole.Steward, Disabled: false }) == 1;

    private async Task ChangeAsync(StaffChangeKind kind, StaffAccountView? account)
    {
        var parameters = new DialogParameters<StaffChangeDialog> { { d => d.Kind, kind }, { d => d.Account, account } };
        var options = new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };
        var dialog = await Dialogs.ShowAsync<StaffChangeDialog>(null, parameters, options);
        if (await dialog.Result is { Canceled: false }) await LoadAsync();
    }

    internal static string Role(StaffRole role) => role.ToString().ToLowerInvariant();

    private static string State(StaffAccountView a) =>
        a.Disabled ? "disabled"
        : a.LockedUntil is { } until ? $"locked until {until:yyyy-MM-dd HH:mm} UTC (addresses it logged in from still work)"
        : a.FailedLogins > 0 ? $"active ({a.FailedLogins} wrong passwords since the last login)"
        : "active";
}
