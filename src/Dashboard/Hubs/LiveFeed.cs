using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>What staff connections receive as <see cref="LiveFeed.StaffMethod"/>: the notices of one interval.</summary>
/// <param name="Dropped">Notices dropped before this batch because the buffer overflowed.</param>
public sealed record NoticeBatch(IReadOnlyList<SessionNotice> Notices, long Dropped);

/// <summary>A session (or every session of a user, or of the farm) that a wiki server should drop from its caches.</summary>
/// <param name="Wiki">The wiki whose sessions ended; null when <paramref name="FarmWide"/>.</param>
/// <param name="SessionHandle">The ended session's handle when one session ended; never its ID.</param>
/// <param name="User">The user whose sessions ended, when known.</param>
public sealed record WikiInvalidation(DateTimeOffset At, string? Wiki, string? SessionHandle, string? User, EndReason Reason, bool FarmWide);

/// <summary>What wiki-server connections receive as <see cref="LiveFeed.WikiMethod"/>.</summary>
/// <param name="Dropped">Invalidations dropped on overflow: when above zero, drop every cached session.</param>
public sealed record InvalidationBatch(IReadOnlyList<WikiInvalidation> Invalidations, long Dropped);

/// <summary>Names of the hub, its groups and client methods, and which notices reach which wiki.</summary>
public static class LiveFeed
{
    public const string HubPath = "/hubs/sessions";
    public const string StaffGroup = "staff";
    /// <summary>Every wiki-server connection, for farm-wide notices.</summary>
    public const string AllWikisGroup = "wikis";
    public const string StaffMethod = "notices";
    public const string WikiMethod = "invalidations";
    /// <summary>Stewards and developers, who can act on an alert.</summary>
    public const string AlertsGroup = "alerts";
    /// <summary>An <see cref="Core.Metrics.AlertChange"/>: alerts raised or ended, and those open.</summary>
    public const string AlertsMethod = "alerts";

    public static string WikiGroup(string dbName) => "wiki:" + dbName;

    /// <summary>
    /// The invalidations a notice means for wiki servers: sessions ended on a wiki (revoked, user invalidated or
    /// prevented, logged out here or elsewhere, refused on load), or every session of the farm.
    /// </summary>
    public static IEnumerable<WikiInvalidation> Invalidations(SessionNotice notice)
    {
        switch (notice.Kind)
        {
            case SessionEventKind.AdminAction when notice.EndReason == EndReason.EveryoneInvalidated:
                yield return new(notice.At, null, null, null, EndReason.EveryoneInvalidated, FarmWide: true);
                break;
            case SessionEventKind.AdminAction when notice.EndReason is { } reason:
                foreach (var wiki in notice.Wikis ?? [])
                    yield return new(notice.At, wiki, notice.SessionHandle, notice.User, reason, FarmWide: false);
                break;
            case SessionEventKind.LogoutTraceFinished:
                var wikis = notice.Wikis ?? (notice.Wiki is { } w ? [w] : []);
                foreach (var wiki in wikis)
                {
                    // The wiki where the logout started names its session; the others lost theirs to the propagation.
                    var here = wiki == notice.Wiki;
                    yield return new(notice.At, wiki, here ? notice.SessionHandle : null, notice.User,
                        here ? EndReason.LoggedOut : EndReason.LoggedOutElsewhere, FarmWide: false);
                }
                break;
            case SessionEventKind.Ended or SessionEventKind.MetadataRejected when notice.Wiki is { } wiki:
                yield return new(notice.At, wiki, notice.SessionHandle, notice.User, notice.EndReason ?? EndReason.Idle, FarmWide: false);
                break;
        }
    }
}
