using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Routing;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Actions;

/// <summary>Confirms a bulk job: the exact counts by wiki and provider, a reason, and above 1,000 the count typed back.</summary>
public partial class BulkJobDialog : IDisposable
{
    private const int MaxRows = 15;

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;
    [Inject] private BulkJobs Jobs { get; set; } = default!;
    [Inject] private StaffActions Actions { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    /// <summary>Revoke the matching sessions, or invalidate the users who hold one.</summary>
    [Parameter, EditorRequired] public BulkJobKind Kind { get; set; }
    /// <summary>The sessions explorer's filter as applied.</summary>
    [Parameter, EditorRequired] public SessionFilter Filter { get; set; } = new();

    private BulkPreview? _preview;
    private string? _reason;
    private string? _confirm;
    private bool _running;
    private string _page = "";

    private string Title => Kind == BulkJobKind.RevokeSessions ? "Revoke matching sessions" : "Invalidate matching users";
    private string Unit => Kind == BulkJobKind.RevokeSessions ? "sessions" : "users";

    private bool CanStart => !_running && _preview is { Total: > 0 } && !string.IsNullOrWhiteSpace(_reason)
        && (!_preview.ConfirmRequired || int.TryParse(_confirm?.Trim().Replace(",", ""), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n == _preview.Total);

    protected override async Task OnInitializedAsync()
    {
        _page = PathOf(Navigation.Uri);
        Navigation.LocationChanged += OnLocationChanged;
        try
        {
            _preview = await Jobs.PreviewAsync(Kind, Filter);
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
            Dialog.Cancel();
        }
    }

    private async Task StartAsync()
    {
        if (!CanStart) return;
        _running = true;
        try
        {
            int? confirm = _preview!.ConfirmRequired ? _preview.Total : null;
            var job = await Actions.RunAsync(actor => Jobs.StartAsync(actor, Kind, Filter, _reason!.Trim(), confirm));
            Dialog.Close(DialogResult.Ok(job));
        }
        catch (Exception ex)
        {
            // The count changed since the preview, say: show the new one and let the steward type it again.
            Snackbar.Problem(ex);
            _preview = await Jobs.PreviewAsync(Kind, Filter);
            _confirm = null;
        }
        finally
        {
            _running = false;
        }
    }

    private void Cancel() => Dialog.Cancel();

    /// <summary>Leaving the explorer closes the dialog; the explorer keeping its filter in the URL does not.</summary>
    private void OnLocationChanged(object? sender, LocationChangedEventArgs e)
    {
        if (PathOf(e.Location) != _page) _ = InvokeAsync(Dialog.Cancel);
    }

    private string PathOf(string uri) => Navigation.ToAbsoluteUri(uri).AbsolutePath.TrimEnd('/');

    public void Dispose() => Navigation.LocationChanged -= OnLocationChanged;
}
