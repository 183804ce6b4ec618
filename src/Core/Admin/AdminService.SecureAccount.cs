using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;
using WikiSessions.Core.Staff;

namespace WikiSessions.Core.Admin;

/// <summary>What a steward asks for when securing a compromised account.</summary>
/// <param name="BotPasswords">App IDs of the bot passwords to revoke; null revokes every unrevoked one.</param>
/// <param name="OAuthGrants">Consumers whose OAuth grants to revoke; null revokes every unrevoked one.</param>
/// <param name="Prevent">Also prevent the user, for good.</param>
public sealed record SecureAccountRequest(string Reason, IReadOnlyList<string>? BotPasswords = null, IReadOnlyList<string>? OAuthGrants = null, bool Prevent = false);

/// <summary>What securing the account would reach, shown before the steward confirms.</summary>
/// <param name="ResetWikis">Wikis with a token reset command: the user's token is reset on each.</param>
/// <param name="MediaWikisWithoutReset">MediaWiki wikis the user had sessions on that name no reset command: their Token cookies survive.</param>
public sealed record SecureAccountPreview(
    string User, bool Prevented, int ActiveSessions, int Wikis, int CentralSessions, int RememberTokens,
    IReadOnlyList<string> BotPasswords, IReadOnlyList<string> OAuthGrants, IReadOnlyList<string> ResetWikis, IReadOnlyList<string> MediaWikisWithoutReset);

/// <summary>One wiki's token reset: did it work, and its outcome in words.</summary>
public sealed record TokenResetOutcome(string Wiki, bool Succeeded, string Outcome);

/// <summary>
/// The answer to securing an account: the fields every steward action answers with, plus each effect by name and the
/// ID of the one audit entry that links them.
/// </summary>
public sealed record AccountSecured(
    string Action, string Target, int SessionsEnded, int CentralSessionsEnded, int RememberTokensEnded, string Detail, string? Survives, PostCheck Check,
    IReadOnlyList<string> BotPasswordsRevoked, IReadOnlyList<string> OAuthGrantsRevoked, bool Prevented, IReadOnlyList<TokenResetOutcome> TokenResets, long AuditId);

public sealed partial class AdminService
{
    public const string SecureAccountAction = "secure-account";
    private const int MaxAuditDetail = 2000;

    private sealed record Credential(int Id, string Name);

    /// <summary>What <see cref="SecureAccountAsync"/> would reach now.</summary>
    public async Task<SecureAccountPreview> PreviewSecureAccountAsync(string userName, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await AdminReads.FindUserAsync(db, userName, cancellationToken);
        var now = time.GetUtcNow();
        var epoch = await AdminReads.EpochAsync(db, cancellationToken);
        var active = Validity.Active(db, db.Sessions.Where(s => s.UserId == user.Id), epoch, now);
        var configured = tokenReset.ConfiguredWikis();
        return new SecureAccountPreview(user.Name, user.Prevented && user.LockedAt is null,
            await active.CountAsync(cancellationToken),
            await active.Select(s => s.WikiId).Distinct().CountAsync(cancellationToken),
            await Validity.Active(db, db.CentralSessions.Where(c => c.UserId == user.Id), epoch, now).CountAsync(cancellationToken),
            await Validity.Active(db, db.RememberTokens.Where(t => t.UserId == user.Id), epoch, now).CountAsync(cancellationToken),
            (await OpenBotPasswordsAsync(db, user.Id, cancellationToken)).Select(c => c.Name).ToList(),
            (await OpenGrantsAsync(db, user.Id, cancellationToken)).Select(c => c.Name).ToList(),
            configured,
            (await MediaWikisOfAsync(db, user.Id, cancellationToken)).Where(w => !configured.Contains(w)).Order(StringComparer.Ordinal).ToList());
    }

    /// <summary>
    /// A compromised account, in one action: the user token is reset (every session, central session, remember-me token
    /// and OAuth authorization ends), the ticked bot passwords and OAuth grants are revoked, the user is prevented if
    /// asked, and the user's token is reset on every wiki that names a reset command. One audit entry links every effect;
    /// the answer says what survives, and the check fails if anything the action reached still lets the user in (a failed
    /// check is audited as <c>check-failed</c>, as after every steward action).
    /// </summary>
    /// <exception cref="SessionException">Not a steward, no reason, no such user, a ticked credential the user does not
    /// hold unrevoked, or prevent asked of a prevented user: nothing is changed.</exception>
    public async Task<AccountSecured> SecureAccountAsync(StaffActor actor, string userName, SecureAccountRequest request, CancellationToken cancellationToken = default)
    {
        Authorize(actor, request.Reason);
        var reason = request.Reason.Trim();
        // Bad input is refused before the first effect, the wikis' token resets included.
        await using (var read = await dbFactory.CreateDbContextAsync(cancellationToken))
            await TickedAsync(read, await AdminReads.FindUserAsync(read, userName, cancellationToken), request, cancellationToken);
        // The resets run before the store's write lock is taken (each is a process on a wiki server), so the one audit
        // entry can name their outcome; a session MediaWiki restores in between is ended by the transaction below.
        var resets = await ResetEveryConfiguredTokenAsync(userName, cancellationToken);

        var now = time.GetUtcNow();
        Existing before;
        Outcome outcome;
        long auditId;
        string oldToken;
        IReadOnlyList<Credential> bots, grants;
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var write = await writes.BeginAsync(db, cancellationToken);
            before = await Existing.ReadAsync(db, cancellationToken);
            var user = await FindUserAsync(db, userName, cancellationToken);
            (bots, grants) = await TickedAsync(db, user, request, cancellationToken);
            oldToken = user.Token;

            if (request.Prevent) (user.Prevented, user.PreventedAt, user.LockedAt) = (true, now, null);
            var botIds = bots.Select(b => b.Id).ToList();
            var grantIds = grants.Select(g => g.Id).ToList();
            await db.BotPasswords.Where(p => botIds.Contains(p.Id)).ExecuteUpdateAsync(u => u.SetProperty(p => p.RevokedAt, now), cancellationToken);
            await db.OAuthGrants.Where(g => grantIds.Contains(g.Id)).ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now), cancellationToken);
            var (ended, centrals, tokens, wikis) = await EndUserSessionsAsync(write, user, request.Prevent ? EndReason.Prevented : EndReason.UserInvalidated, actor, now, cancellationToken);

            var survives = await SecureSurvivorsAsync(db, user, await MediaWikisOfAsync(db, user.Id, cancellationToken), resets, request.Prevent, cancellationToken);
            var detail = $"Secured {user.Name}: user token reset; {ended} sessions, {centrals} central sessions and {tokens} remember-me tokens ended on {wikis.Count} wikis; " +
                $"bot passwords revoked: {Names(bots)}; OAuth grants revoked: {Names(grants)}; {(request.Prevent ? "prevented" : "not prevented")}; " +
                $"MediaWiki token resets: {(resets.Count == 0 ? "no wiki names a reset command" : string.Join("; ", resets.Select(r => r.Outcome)))}.";
            outcome = new Outcome(SecureAccountAction, user.Name, ended, centrals, tokens, detail, wikis, user.Name, survives, q => UserScope(q, user.Id));
            var entry = new AuditEntry
            {
                At = now, Actor = actor.Name, Action = SecureAccountAction, Reason = reason, Target = user.Name, SessionsEnded = ended,
                Detail = Cut(detail + (survives is null ? "" : " Survives: " + survives)),
            };
            db.Audit.Add(entry);
            db.Events.Add(SessionRecords.Event(SessionEventKind.AdminAction, now, null, null, user.Id, $"{actor.Name}: {SecureAccountAction} {user.Name}: {reason}"));
            // Like every steward's action: nothing cached survives it.
            write.Evicts(Eviction.Everything);
            write.Publish(new SessionNotice(SessionEventKind.AdminAction, now, null, null, outcome.User, null, $"{actor.Name}: {SecureAccountAction} {outcome.Target} — {outcome.Detail}",
                EndReason: request.Prevent ? EndReason.Prevented : EndReason.UserInvalidated, Wikis: outcome.Wikis));
            await write.CommitAsync(cancellationToken);
            auditId = entry.Id;
        }
        catch (DbUpdateConcurrencyException ex)
        {
            throw new SessionException(Failure.Conflict, "Someone else changed this user at the same moment; only the wikis' token resets ran. Reload and try again.", ex);
        }
        catch (Exception ex) when (StoreHealth.IsStoreFailure(ex))
        {
            throw new SessionException(Failure.Unavailable, "The session store is unavailable; only the wikis' token resets ran. Retry in a moment.", ex);
        }

        logger.LogWarning("{Actor} did {Action} on {Target} ({SessionsEnded} sessions ended) because {Reason}",
            LogText.Quote(actor.Name), SecureAccountAction, LogText.Quote(outcome.Target), outcome.SessionsEnded, LogText.Quote(reason, MaxReasonLength));
        var check = await CheckAsync(actor, reason, outcome, before, cancellationToken);
        check = await CheckCredentialsAsync(actor, reason, outcome.Target, oldToken, request.Prevent, bots, grants, check, cancellationToken);
        return new AccountSecured(SecureAccountAction, outcome.Target, outcome.SessionsEnded, outcome.CentralSessionsEnded, outcome.RememberTokensEnded, outcome.Detail,
            outcome.Survives, check, bots.Select(b => b.Name).ToList(), grants.Select(g => g.Name).ToList(), request.Prevent, resets, auditId);
    }

    /// <summary>The credentials the steward ticked, each checked to be the user's and unrevoked; and prevent only of a user who is not.</summary>
    private static async Task<(IReadOnlyList<Credential> Bots, IReadOnlyList<Credential> Grants)> TickedAsync(
        SessionsDb db, GlobalUser user, SecureAccountRequest request, CancellationToken cancellationToken)
    {
        if (request.Prevent && user is { Prevented: true, LockedAt: null })
            throw new SessionException(Failure.Conflict, $"{user.Name} is already prevented; nothing was changed. Secure the account without prevent.");
        return (Ticked(await OpenBotPasswordsAsync(db, user.Id, cancellationToken), request.BotPasswords, user.Name, "bot password"),
            Ticked(await OpenGrantsAsync(db, user.Id, cancellationToken), request.OAuthGrants, user.Name, "OAuth grant of"));
    }

    private static Task<List<Credential>> OpenBotPasswordsAsync(SessionsDb db, int userId, CancellationToken cancellationToken) =>
        db.BotPasswords.Where(p => p.UserId == userId && p.RevokedAt == null).OrderBy(p => p.AppId)
            .Select(p => new Credential(p.Id, p.AppId)).ToListAsync(cancellationToken);

    private static Task<List<Credential>> OpenGrantsAsync(SessionsDb db, int userId, CancellationToken cancellationToken) =>
        db.OAuthGrants.Where(g => g.UserId == userId && g.RevokedAt == null).OrderBy(g => g.Consumer!.Name)
            .Select(g => new Credential(g.Id, g.Consumer!.Name)).ToListAsync(cancellationToken);

    private static IReadOnlyList<Credential> Ticked(IReadOnlyList<Credential> open, IReadOnlyList<string>? ticked, string userName, string what)
    {
        if (ticked is null) return open;
        foreach (var name in ticked)
            if (!open.Any(c => c.Name == name))
                throw new SessionException(Failure.NotFound, $"{userName} has no unrevoked {what} '{name}'; nothing was changed.");
        return open.Where(c => ticked.Contains(c.Name)).ToList();
    }

    /// <summary>
    /// What the session check cannot see: a ticked bot password or grant that is not revoked, a user token that did not
    /// change (OAuth authorizations issued before would still work), or a prevent that did not hold.
    /// </summary>
    private async Task<PostCheck> CheckCredentialsAsync(StaffActor actor, string reason, string userName, string oldToken, bool prevent,
        IReadOnlyList<Credential> bots, IReadOnlyList<Credential> grants, PostCheck check, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var botIds = bots.Select(b => b.Id).ToList();
        var grantIds = grants.Select(g => g.Id).ToList();
        var openBots = await db.BotPasswords.Where(p => botIds.Contains(p.Id) && p.RevokedAt == null).Select(p => p.AppId).ToListAsync(cancellationToken);
        var openGrants = await db.OAuthGrants.Where(g => grantIds.Contains(g.Id) && g.RevokedAt == null).Select(g => g.Consumer!.Name).ToListAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().Where(u => u.Name == userName).Select(u => new { u.Token, u.Prevented }).SingleAsync(cancellationToken);
        var problems = new List<string>();
        if (openBots.Count > 0) problems.Add($"bot passwords {string.Join(", ", openBots)} were ticked but still log in");
        if (openGrants.Count > 0) problems.Add($"OAuth grants of {string.Join(", ", openGrants)} were ticked but still log in");
        if (user.Token == oldToken) problems.Add("the user token did not change, so OAuth authorizations issued before still work");
        if (prevent && !user.Prevented) problems.Add("the user is not prevented");
        if (problems.Count == 0) return check;

        var summary = (check.Passed ? "Check failed: " : check.Summary + " Also: ") + string.Join("; ", problems) + ". Run the action again, and report it.";
        logger.LogError("The check after {Action} on {Target} failed: {Summary}", SecureAccountAction, LogText.Quote(userName), summary);
        db.Audit.Add(new AuditEntry { At = time.GetUtcNow(), Actor = actor.Name, Action = "check-failed", Reason = reason, Target = userName, Detail = Cut($"After {SecureAccountAction}: {summary}") });
        await db.SaveChangesAsync(cancellationToken);
        return check with { Passed = false, Summary = summary };
    }

    /// <summary>Resets the user's token on every wiki that names a command for it, whether or not the store saw the user there.</summary>
    private async Task<IReadOnlyList<TokenResetOutcome>> ResetEveryConfiguredTokenAsync(string userName, CancellationToken cancellationToken)
    {
        var outcomes = new List<TokenResetOutcome>();
        foreach (var wiki in tokenReset.ConfiguredWikis())
        {
            var (succeeded, outcome) = await tokenReset.ResetAsync(wiki, userName, cancellationToken);
            outcomes.Add(new TokenResetOutcome(wiki, succeeded, outcome));
        }
        return outcomes;
    }

    /// <summary>What can still let the user in after securing the account, in words; null when nothing can.</summary>
    private static async Task<string?> SecureSurvivorsAsync(SessionsDb db, GlobalUser user, IReadOnlyList<string> mediaWikis, IReadOnlyList<TokenResetOutcome> resets,
        bool prevented, CancellationToken cancellationToken)
    {
        var parts = new List<string>();
        // A prevented user gets no session from any credential, so only MediaWiki's own Token cookie is left to name.
        if (!prevented)
        {
            var bots = (await OpenBotPasswordsAsync(db, user.Id, cancellationToken)).Select(c => c.Name).ToList();
            var grants = (await OpenGrantsAsync(db, user.Id, cancellationToken)).Select(c => c.Name).ToList();
            if (bots.Count > 0)
                parts.Add($"Bot password{(bots.Count == 1 ? "" : "s")} {string.Join(", ", bots)} {(bots.Count == 1 ? "was" : "were")} left unticked: a new bot login with {(bots.Count == 1 ? "it" : "them")} works.");
            if (grants.Count > 0)
                parts.Add($"OAuth grant{(grants.Count == 1 ? "" : "s")} of {string.Join(", ", grants)} {(grants.Count == 1 ? "was" : "were")} left unticked: a new OAuth login of the tool works.");
        }
        var notReset = mediaWikis.Where(w => !resets.Any(r => r.Wiki == w)).Concat(resets.Where(r => !r.Succeeded).Select(r => r.Wiki)).Distinct().Order(StringComparer.Ordinal).ToList();
        if (notReset.Count > 0)
            parts.Add($"MediaWiki on {string.Join(", ", notReset)} can restore {user.Name} from a remember-me Token cookie until the user's token is reset there " +
                $"({MediaWiki.ShellText.ResetTokenCommand(user.Name)}).");
        if (!prevented)
            parts.Add($"{user.Name}'s password is not kept here: whoever knows it can log in again. Have it changed, or prevent the user.");
        return parts.Count == 0 ? null : string.Join(" ", parts);
    }

    private static string Names(IReadOnlyList<Credential> credentials) => credentials.Count == 0 ? "none" : string.Join(", ", credentials.Select(c => c.Name));

    private static string Cut(string text) => text.Length <= MaxAuditDetail ? text : text[..(MaxAuditDetail - 1)] + "…";
}
