using Microsoft.AspNetCore.Components;
using MudBlazor;
using WikiSessions.Core.Admin;
using WikiSessions.Core.Domain;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Components.Actions;

public enum AdminActionKind { RevokeSession, InvalidateUser, PreventUser, InvalidateEveryone, RevokeBotPassword, RevokeGrant, LockUser, UnlockUser }

/// <summary>
/// One steward action: shows its blast radius first, asks for a reason (and for prevent and invalidate-everyone
/// a typed confirmation; for a revoke, its scope), runs it, then shows the engine's check that nothing that existed
/// before the action still yields a session, and says plainly what deliberately survives.
/// </summary>
public partial class ActionDialog
{
    public const string EveryoneWord = "everyone";

    [CascadingParameter] private IMudDialogInstance Dialog { get; set; } = default!;
    [Inject] private SessionQueries SessionQueries { get; set; } = default!;
    [Inject] private UserQueries UserQueries { get; set; } = default!;
    [Inject] private FarmQueries FarmQueries { get; set; } = default!;
    [Inject] private AdminService Admin { get; set; } = default!;
    [Inject] private StaffActions Actions { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>Which action.</summary>
    [Parameter, EditorRequired] public AdminActionKind Kind { get; set; }

    /// <summary>The user, for user actions; for a revoke, the session's user if any.</summary>
    [Parameter] public string? User { get; set; }

    /// <summary>The session's handle, for a revoke.</summary>
    [Parameter] public string? Handle { get; set; }

    /// <summary>The bot password's app ID or the OAuth grant's consumer, for a credential revoke.</summary>
    [Parameter] public string? Credential { get; set; }

    private string? _radius;
    private string? _survivesBefore;
    private BrowserRadius? _browser;
    private string? _reason;
    private string? _confirm;
    private bool _running;
    private string? _result;
    private string? _check;
    private bool _checkPassed;
    private string? _survives;
    private RevokeScope _scope = RevokeScope.Browser;

    private string Title => Kind switch
    {
        AdminActionKind.RevokeSession => $"Revoke session {Handle}",
        AdminActionKind.InvalidateUser => $"Invalidate every session of {User}",
        AdminActionKind.PreventUser => $"Prevent {User} from having sessions",
        AdminActionKind.LockUser => $"Lock {User} until a steward unlocks them",
        AdminActionKind.UnlockUser => $"Unlock {User}",
        AdminActionKind.RevokeBotPassword => $"Revoke the bot password {Credential} of {User}",
        AdminActionKind.RevokeGrant => $"Revoke the OAuth grant of {Credential} for {User}",
        _ => "Invalidate every session in the farm",
    };

    private string Verb => Kind switch
    {
        AdminActionKind.RevokeSession => "Revoke",
        AdminActionKind.InvalidateUser => "Invalidate",
        AdminActionKind.PreventUser => "Prevent",
        AdminActionKind.LockUser => "Lock",
        AdminActionKind.UnlockUser => "Unlock",
        AdminActionKind.RevokeBotPassword or AdminActionKind.RevokeGrant => "Revoke",
        _ => "Invalidate everyone",
    };

    private string? ConfirmWord => Kind switch { AdminActionKind.PreventUser => User, AdminActionKind.InvalidateEveryone => EveryoneWord, _ => null };

    private bool CanRun => !_running && _radius is not null && !string.IsNullOrWhiteSpace(_reason)
        && (ConfirmWord is null || string.Equals(_confirm?.Trim(), ConfirmWord, StringComparison.Ordinal));

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _radius = Kind switch
            {
                AdminActionKind.RevokeSession => Describe((await SessionQueries.SessionAsync(Handle!)).Session),
                AdminActionKind.InvalidateEveryone => DescribeFarm(await FarmQueries.FarmBlastRadiusAsync()),
                AdminActionKind.RevokeBotPassword => DescribeCredential(await UserQueries.CredentialBlastRadiusAsync(User!, Credential, null), $"the bot password {Credential}"),
                AdminActionKind.RevokeGrant => DescribeCredential(await UserQueries.CredentialBlastRadiusAsync(User!, null, Credential), $"the OAuth grant of {Credential}"),
                AdminActionKind.PreventUser => DescribePrevent(await UserQueries.UserBlastRadiusAsync(User!)),
                AdminActionKind.LockUser => DescribeLock(await UserQueries.UserBlastRadiusAsync(User!)),
                AdminActionKind.UnlockUser => $"let {User} log in again. Nothing the lock ended comes back; bot passwords and OAuth grants work again.",
                _ => Describe(await UserQueries.UserBlastRadiusAsync(User!)),
            };
            if (Kind == AdminActionKind.RevokeSession) _browser = await SessionQueries.BrowserRadiusAsync(Handle!);
            if (Kind == AdminActionKind.InvalidateUser) _survivesBefore = InvalidateSurvivors(await Admin.PreviewSecureAccountAsync(User!));
        }
        catch (Exception ex)
        {
            Snackbar.Problem(ex);
            Dialog.Cancel();
        }
    }

    private async Task RunAsync()
    {
        if (!CanRun) return;
        _running = true;
        try
        {
            var reason = _reason!.Trim();
            var done = await Actions.RunAsync(actor => Kind switch
            {
                AdminActionKind.RevokeSession => Admin.RevokeSessionAsync(actor, Handle!, reason, _scope),
                AdminActionKind.InvalidateUser => Admin.InvalidateUserAsync(actor, User!, reason),
                AdminActionKind.PreventUser => Admin.PreventUserAsync(actor, User!, reason),
                AdminActionKind.LockUser => Admin.LockUserAsync(actor, User!, reason),
                AdminActionKind.UnlockUser => Admin.UnlockUserAsync(actor, User!, reason),
                AdminActionKind.RevokeBotPassword => Admin.RevokeBotPasswordAsync(actor, User!, Credential!, reason),
                AdminActionKind.RevokeGrant => Admin.RevokeGrantAsync(actor, User!, Credential!, reason),
                _ => Admin.InvalidateEveryoneAsync(actor, reason),
            });
            _result = $"Done: {done.SessionsEnded:N0} session{(done.SessionsEnded == 1 ? "" : "s")} ended"
                + (done.CentralSessionsEnded + done.RememberTokensEnded > 0
                    ? $", with {done.CentralSessionsEnded:N0} central sessions and {done.RememberTokensEnded:N0} remember-me tokens" : "")
                + ". The action is in the audit log.";
            _survives = done.Survives;
            (_checkPassed, _check) = (done.Check.Passed, done.Check.Summary);
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

    /// <summary>The browser scope's choice in words, with what it reaches.</summary>
    private string BrowserChoice => _browser is { OAuthAuthorization: true } o
        ? $"The tool's OAuth authorization: this session and {Count(o.OtherSessions, "other session")} it made on {Count(o.Wikis, "other wiki")}. " +
          "The grant survives: a new OAuth login of the tool works"
        : _browser is not { } b || b.CentralSessions + b.OtherSessions + b.RememberTokens == 0
        ? "The whole browser: this session, and its central session and remember-me tokens if it has any (it has none left)"
        : $"The whole browser: this session, {Count(b.CentralSessions, "central session")}, {Count(b.OtherSessions, "other session")} linked to it " +
          $"on {Count(b.Wikis, "wiki")}, and {Count(b.RememberTokens, "remember-me token")}";

    private string SessionChoice => _browser is { OAuthAuthorization: true }
        ? "This session only: the tool's authorization gets a new session on its next request"
        : "This session only: the browser's central session can log the user straight back in";

    private static string Count(int n, string what) => $"{n:N0} {what}{(n == 1 ? "" : "s")}";

    private static string Describe(AdminSession s) =>
        $"1 {WireNames.Of(s.Provider)} session on {s.Wiki} of {s.User ?? "an anonymous user"}, last active {s.LastActivityAt:yyyy-MM-dd HH:mm} UTC, from {s.Ip ?? "an unknown address"}.";

    /// <summary>Invalidating a user ends sessions and OAuth authorizations; the bot passwords and grants themselves survive, so they are not counted here.</summary>
    private static string Describe(BlastRadius r) =>
        $"{Count(r.ActiveSessions, "active session")} on {Count(r.Wikis, "wiki")}, {Count(r.CentralSessions, "central session")}, " +
        "and every OAuth authorization issued before (the user token is reset).";

    private static string DescribePrevent(BlastRadius r) =>
        $"{Count(r.ActiveSessions, "active session")} on {Count(r.Wikis, "wiki")}, {Count(r.CentralSessions, "central session")}; " +
        $"it revokes {Count(r.BotPasswords, "bot password")} and {Count(r.OAuthGrants, "OAuth grant")}.";

    private static string DescribeLock(BlastRadius r) =>
        $"{Count(r.ActiveSessions, "active session")} on {Count(r.Wikis, "wiki")}, {Count(r.CentralSessions, "central session")}, and every OAuth authorization " +
        $"issued before (the user token is reset). Until an unlock no login works; {Count(r.BotPasswords, "bot password")} and {Count(r.OAuthGrants, "OAuth grant")} " +
        "are kept and refused meanwhile.";

    private string DescribeCredential(BlastRadius r, string what) =>
        $"{Count(r.ActiveSessions, "active session")} on {Count(r.Wikis, "wiki")} made with {what} of {User}; it can no longer log in. " +
        $"{User}'s other sessions and credentials stay.";

    /// <summary>
    /// What invalidating the user leaves able to log in, by name: the engine resets the user token, which ends sessions and
    /// OAuth authorizations, but a bot password or an OAuth grant makes a new session at its next explicit login.
    /// </summary>
    internal static string? InvalidateSurvivors(SecureAccountPreview p)
    {
        var parts = new List<string>();
        if (p.BotPasswords.Count > 0)
            parts.Add($"The bot password{(p.BotPasswords.Count == 1 ? "" : "s")} {string.Join(", ", p.BotPasswords)} can log the bot straight back in.");
        if (p.OAuthGrants.Count > 0)
            parts.Add($"The OAuth grant{(p.OAuthGrants.Count == 1 ? "" : "s")} of {string.Join(", ", p.OAuthGrants)} can log the tool straight back in.");
        if (p.MediaWikisWithoutReset.Count > 0)
            parts.Add($"MediaWiki on {string.Join(", ", p.MediaWikisWithoutReset)} names no reset command: its Token cookie can restore {p.User}.");
        if (parts.Count == 0) return null;
        if (p.BotPasswords.Count + p.OAuthGrants.Count > 0) parts.Add("Revoke them on their rows, or use Secure compromised account.");
        return "Survives: " + string.Join(" ", parts);
    }

    /// <summary>The farm's radius comes from the store's counters: open sessions, which include any idle past their expiry until the next sweep.</summary>
    internal static string DescribeFarm(BlastRadius r) =>
        $"{r.ActiveSessions:N0} open sessions in the current epoch on {r.Wikis:N0} wikis (a session idle past its expiry counts until the next sweep marks it ended), " +
        $"{r.CentralSessions:N0} central sessions.";

    private void Cancel() => Dialog.Cancel();

    private void Close() => Dialog.Close(DialogResult.Ok(true));
}
