using Microsoft.Extensions.Time.Testing;
using WikiSessions.Dashboard.Components.Shared;

namespace WikiSessions.Dashboard.Tests.Components;

public class RedrawThrottleTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));
    private int _redraws;

    private RedrawThrottle Throttle() => new(_time, TimeSpan.FromSeconds(1), () => { Interlocked.Increment(ref _redraws); return Task.CompletedTask; });

    [Fact]
    public void The_first_change_redraws_at_once()
    {
        using var throttle = Throttle();
        throttle.Poke();
        Assert.Equal(1, _redraws);
    }

    [Fact]
    public void A_burst_of_changes_within_a_second_is_one_more_redraw_at_the_end_of_the_second()
    {
        using var throttle = Throttle();
        for (var i = 0; i < 1000; i++)
        {
            throttle.Poke();
            _time.Advance(TimeSpan.FromMilliseconds(0.5));
        }
        Assert.Equal(1, _redraws);

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, _redraws);

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, _redraws); // nothing changed since: no redraw
    }

    [Fact]
    public void Steady_changes_redraw_at_most_once_per_second()
    {
        using var throttle = Throttle();
        for (var i = 0; i < 10_000; i++) // ten seconds of an event every millisecond
        {
            throttle.Poke();
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.InRange(_redraws, 10, 11);
    }

    [Fact]
    public void A_change_after_a_quiet_second_redraws_at_once()
    {
        using var throttle = Throttle();
        throttle.Poke();
        _time.Advance(TimeSpan.FromSeconds(2));
        throttle.Poke();
        Assert.Equal(2, _redraws);
    }

    [Fact]
    public void No_redraw_runs_after_dispose()
    {
        var throttle = Throttle();
        throttle.Poke();
        throttle.Poke();
        throttle.Dispose();
        _time.Advance(TimeSpan.FromSeconds(2));
        throttle.Poke();
        Assert.Equal(1, _redraws);
    }
}
