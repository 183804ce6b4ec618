using System.ComponentModel.DataAnnotations;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>Batching of the live feed, bound from the <c>LiveFeed</c> configuration section.</summary>
public sealed class LiveFeedOptions
{
    /// <summary>Each group gets at most one message per interval.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Most notices in one message; a longer backlog goes out as several messages in the same interval.</summary>
    [Range(1, 10_000)]
    public int MaxBatch { get; set; } = 500;

    /// <summary>Notices held while clients catch up; past this the oldest are dropped and counted.</summary>
    [Range(1, 1_000_000)]
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// Longest wait for one message to be taken by every client of a group. A client that stopped reading (its socket
    /// buffers full) is closed when this passes, so it cannot hold back the feed of every other dashboard and wiki.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
