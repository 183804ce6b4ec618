using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Staff;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Pages.Staff;

public enum StaffChangeKind { Add, Role, Disable, Enable, ResetPassword, NewToken, EndSessions }

/// <summary>One change of a staff account: what it ends first, a reason, then the result, its check and any secret, shown once.</summary>
public partial class StaffChangeDialog
{
    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;
    [Inject] private StaffAccounts Accounts { get; set; } = default!;
    [Inject] private StaffActions Actions { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>Which change.</summary>
    [Parameter, EditorRequired] public StaffChangeKind Kind { get; set; }

    /// <summary>The account changed; null when adding one.</summary>
    [Parameter] public StaffAccountView? Account { get; set; }

    private string? _name;
    private StaffRole _role = StaffRole.Support;
    private string? _reason;
    private bool _running;
    private StaffChange? _done;

    protected override void OnParametersSet()
    {
        if (Account is not null) _role = Account.Role;
    }

    private string Name => Account?.Name ?? "";

    private string Sessions => Account is null ? "" : $"{Account.ActiveSessions} dashboard session{(Account.ActiveSessions == 1 ? "" : "s")}";

    private string Title => Kind switch
    {
        StaffChangeKind.Add => "Add a staff account",
        StaffChangeKind.Role => $"Change the role of {Name}",
        StaffChangeKind.Disable => $"Disable {Name}",
        StaffChangeKind.Enable => $"Enable {Name}",
        StaffChangeKind.ResetPassword => $"New password for {Name}",
        StaffChangeKind.NewToken => $"New API token for {Name}",
        _ => $"End the dashboard sessions of {Name}",
    };

    private string Verb => Kind switch
    {
        StaffChangeKind.Add => "Add",
        StaffChangeKind.Role => "Change role",
        StaffChangeKind.Disable => "Disable",
        StaffChangeKind.Enable => "Enable",
        StaffChangeKind.ResetPassword => "Make a new password",
        StaffChangeKind.NewToken => "Make a new token",
        _ => "End sessions",
    };

    private string Radius => Kind switch
    {
        StaffChangeKind.Add => "A new account with the role you choose; its password and API token are shown once, after you add it.",
        StaffChangeKind.Role => $"This ends {Sessions} of {Name}; they log in again with the new role.",
        StaffChangeKind.Disable => $"{Name} can no longer log in, their API token stops working, and this ends {Sessions}.",
        StaffChangeKind.Enable => $"{Name} can log in again with their password and API token.",
        StaffChangeKind.ResetPassword => $"The old password stops working and this ends {Sessions} of {Name}. The new one is shown once.",
        StaffChangeKind.NewToken => $"Scripts using the old API token of {Name} get 401 from now on, and this ends {Sessions}. The new token is shown once.",
        _ => $"This ends {Sessions} of {Name}: each browser must log in again. The password and API token keep working.",
    };

    private bool CanRun => !_running && !string.IsNullOrWhiteSpace(_reason)
        && (Kind != StaffChangeKind.Add || !string.IsNullOrWhiteSpace(_name))
        && (Kind != StaffChangeKind.Role || _role != Account?.Role);

    private async Task RunAsync()
    {
        if (!CanRun) return;
        _running = true;
        try
        {
            var reason = _reason!.Trim();
            _done = await Actions.RunAsync(actor => Kind switch
            {
                StaffChangeKind.Add => Accounts.AddAsync(actor, _name!.Trim(), _role, reason),
                StaffChangeKind.Role => Accounts.ChangeRoleAsync(actor, Name, _role, reason),
                StaffChangeKind.Disable => Accounts.SetDisabledAsync(actor, Name, true, reason),
                StaffChangeKind.Enable => Accounts.SetDisabledAsync(actor, Name, false, reason),
                StaffChangeKind.ResetPassword => Accounts.ResetPasswordAsync(actor, Name, reason),
                StaffChangeKind.NewToken => Accounts.NewTokenAsync(actor, Name, reason),
                _ => Accounts.EndSessionsAsync(actor, Name, reason),
            });
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
        }
        finally
        {
            _running = false;
        }
    }

    private void Cancel() => Dialog.Cancel();

    private void Close() => Dialog.Close(DialogResult.Ok(true));
}
