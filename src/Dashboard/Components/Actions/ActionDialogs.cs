using MudBlazor;

namespace WikiSessions.Dashboard.Components.Actions;

public static class ActionDialogs
{
    /// <summary>Opens the action's dialog; true when the action ran.</summary>
    public static async Task<bool> ShowActionAsync(this IDialogService dialogs, AdminActionKind kind, string? user = null, string? handle = null, string? credential = null)
    {
        var parameters = new DialogParameters<ActionDialog>
        {
            { d => d.Kind, kind },
            { d => d.User, user },
            { d => d.Handle, handle },
            { d => d.Credential, credential },
        };
        var options = new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };
        var dialog = await dialogs.ShowAsync<ActionDialog>(null, parameters, options);
        var result = await dialog.Result;
        return result is { Canceled: false };
    }

    /// <summary>Opens the compromised-account dialog for a user; true when the action ran.</summary>
    public static async Task<bool> ShowSecureAccountAsync(this IDialogService dialogs, string user)
    {
        var parameters = new DialogParameters<SecureAccountDialog> { { d => d.User, user } };
        var options = new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true };
        var dialog = await dialogs.ShowAsync<SecureAccountDialog>(null, parameters, options);
        return await dialog.Result is { Canceled: false };
    }

    /// <summary>Opens the bulk job dialog on the explorer's filter; the job started, or null.</summary>
    public static async Task<Core.Admin.BulkJobView?> ShowBulkJobAsync(this IDialogService dialogs, Core.Domain.BulkJobKind kind, Core.Admin.SessionFilter filter)
    {
        var parameters = new DialogParameters<BulkJobDialog> { { d => d.Kind, kind }, { d => d.Filter, filter } };
        // The dialog closes itself when the steward leaves the explorer. MudBlazor's provider takes its first location
        // change for a new page, and the explorer writing the filter just applied into the URL would close the dialog.
        var options = new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, BackdropClick = false, CloseOnEscapeKey = true, CloseOnNavigation = false };
        var dialog = await dialogs.ShowAsync<BulkJobDialog>(null, parameters, options);
        return await dialog.Result is { Canceled: false, Data: Core.Admin.BulkJobView job } ? job : null;
    }
}
