using WikiSessions.Core.Data;
using WikiSessions.Core.Domain;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Core.MediaWiki;

/// <summary>
/// A session value the console cannot read (another serialization, an object, a truncated value) is still the wiki's
/// session: the store keeps and serves it byte for byte, since refusing it would log the browser out. The console says
/// so once, when the key is first written, so that a steward knows why that wiki's sessions are missing from its lists.
/// </summary>
internal static class OpaqueValues
{
    public static void Record(SessionsDb db, MediaWikiStore.StoreKey k, string why, DateTimeOffset now, List<SessionNotice> notices)
    {
        var detail = $"MediaWiki wrote session value {k.Handle} in a form the console cannot read ({why}); it is kept and served as written, " +
            "but shows no user or expiry here. Set the wiki's serialization_type to JSON or PHP (docs/mediawiki.md).";
        db.Events.Add(SessionRecords.Event(SessionEventKind.OpaqueValue, now, k.Wiki.Id, null, null, detail));
        notices.Add(new SessionNotice(SessionEventKind.OpaqueValue, now, k.Wiki.DbName, k.Handle, null, null, detail));
    }
}
