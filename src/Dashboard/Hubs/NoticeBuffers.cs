using System.Threading.Channels;
using Microsoft.Extensions.Options;
using WikiSessions.Core.Sessions;

namespace WikiSessions.Dashboard.Hubs;

/// <summary>
/// Bounded buffers between the in-process feed and the hub: one of every notice for staff, one of invalidations for
/// wiki servers. Publishing never waits; on overflow the oldest entries are dropped and counted.
/// </summary>
public sealed class NoticeBuffers
{
    public NoticeBuffers(IOptions<LiveFeedOptions> options)
    {
        Staff = new Buffer<SessionNotice>(options.Value.BufferCapacity);
        Wikis = new Buffer<WikiInvalidation>(options.Value.BufferCapacity);
    }

    public Buffer<SessionNotice> Staff { get; }
    public Buffer<WikiInvalidation> Wikis { get; }

    /// <summary>Subscriber of the session feed: quick, and never throws.</summary>
    public void Add(SessionNotice notice)
    {
        Staff.Add(notice);
        foreach (var invalidation in LiveFeed.Invalidations(notice)) Wikis.Add(invalidation);
    }

    public sealed class Buffer<T>
    {
        private readonly Channel<T> _channel;
        private long _dropped;

        public Buffer(int capacity) =>
            _channel = Channel.CreateBounded<T>(
                new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ => Interlocked.Increment(ref _dropped));

        public void Add(T item) => _channel.Writer.TryWrite(item);

        /// <summary>Up to <paramref name="max"/> buffered items, and how many were dropped since the last take.</summary>
        public (List<T> Items, long Dropped) Take(int max)
        {
            var items = new List<T>(Math.Min(max, 64));
            while (items.Count < max && _channel.Reader.TryRead(out var item)) items.Add(item);
            return (items, Interlocked.Exchange(ref _dropped, 0));
        }
    }
}
