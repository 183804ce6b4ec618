using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Actions;

/// <summary>
/// A compromised account in one action: shows what it ends, resets and revokes, lets the steward untick credentials
/// and add prevent, says before and after what survives, and shows the engine's check.
/// </summary>
public partial class SecureAccountDialog
{
    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;
    [Inject] private AdminService Admin { get; set; } = default!;
    [Inject] private StaffActions Actions { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>The global user whose account is secured.</summary>
    [Parameter, EditorRequired] public string User { get; set; } = "";

    private SecureAccountPreview? _preview;
    private readonly HashSet<string> _bots = [];
    private readonly HashSet<string> _grants = [];
    private bool _prevent;
    private string? _reason;
    private string? _confirm;
    private bool _running;
    private AccountSecured? _done;

    private bool CanRun => !_running && _preview is not null && !string.IsNullOrWhiteSpace(_reason)
        && (!_prevent || string.Equals(_confirm?.Trim(), User, StringComparison.Ordinal));

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _preview = await Admin.PreviewSecureAccountAsync(User);
            // Every credential starts ticked: the steward unticks what is known to be safe.
            _bots.UnionWith(_preview.BotPasswords);
            _grants.UnionWith(_preview.OAuthGrants);
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
            Dialog.Cancel();
        }
    }

    private static void Tick(HashSet<string> ticked, string name, bool on)
    {
        if (on) ticked.Add(name);
        else ticked.Remove(name);
    }

    private async Task RunAsync()
    {
        if (!CanRun) return;
        _running = true;
        try
        {
            var request = new SecureAccountRequest(_reason!.Trim(), [.. _bots], [.. _grants], _prevent);
            _done = await Actions.RunAsync(actor => Admin.SecureAccountAsync(actor, User, request));
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

    private string Radius => $"{Count(_preview!.ActiveSessions, "active session")} on {Count(_preview.Wikis, "wiki")}, " +
        $"{Count(_preview.CentralSessions, "central session")} and {Count(_preview.RememberTokens, "remember-me token")}; " +
        "the user token is reset, so every OAuth authorization issued before stops working.";

    private string Resets => _preview!.ResetWikis.Count == 0
        ? "No wiki names a token reset command: MediaWiki's own Token cookies are not reset from here."
        : $"The user's token is reset on every wiki with a reset command: {string.Join(", ", _preview.ResetWikis)}.";

    /// <summary>What the ticks leave able to log the user in, said before the steward confirms.</summary>
    private string SurvivesBefore
    {
        get
        {
            var parts = new List<string>();
            if (!_prevent)
            {
                var bots = _preview!.BotPasswords.Where(b => !_bots.Contains(b)).ToList();
                var grants = _preview.OAuthGrants.Where(g => !_grants.Contains(g)).ToList();
                if (bots.Count > 0) parts.Add($"Unticked bot passwords ({string.Join(", ", bots)}) can log in again.");
                if (grants.Count > 0) parts.Add($"Unticked OAuth grants ({string.Join(", ", grants)}) can log the tool in again.");
            }
            if (_preview!.MediaWikisWithoutReset.Count > 0)
                parts.Add($"MediaWiki on {string.Join(", ", _preview.MediaWikisWithoutReset)} names no reset command: its Token cookie can restore {User}.");
            parts.Add(_prevent ? "Nothing else: a prevented user gets no session from any credential."
                : $"{User}'s password is not kept here: whoever knows it can log in again. Have it changed, or prevent the user.");
            return "Survives: " + string.Join(" ", parts);
        }
    }

    private static string Count(int n, string what) => $"{n:N0} {what}{(n == 1 ? "" : "s")}";

    private void Cancel() => Dialog.Cancel();

    private void Close() => Dialog.Close(DialogResult.Ok(true));
}
