using Haven.Actors.Runtime;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

public sealed class HostClockTests
{
    [Fact]
    public void SlowTimers_FireLaterByTheSlowdown_TheTimeReadIsTheSharedClocks()
    {
        var shared = new VirtualClock();
        var host = new HostClock(shared) { Slowdown = 3 };
        var fired = new List<TimeSpan>();
        var start = shared.GetUtcNow();
        using var timer = host.CreateTimer(_ => fired.Add(shared.GetUtcNow() - start), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        shared.Advance(TimeSpan.FromSeconds(2));
        Assert.Empty(fired);
        shared.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([TimeSpan.FromSeconds(3)], fired);
        Assert.Equal(shared.GetUtcNow(), host.GetUtcNow());
    }

    [Fact]
    public void Hang_HoldsDueTimers_ResumeFiresEachOnce()
    {
        var shared = new VirtualClock();
        var host = new HostClock(shared);
        var ticks = 0;
        var once = 0;
        using var periodic = host.CreateTimer(_ => ticks++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        using var single = host.CreateTimer(_ => once++, null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);

        host.Hang();
        shared.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal((0, 0), (ticks, once));

        host.Resume();
        Assert.Equal((1, 1), (ticks, once));
        shared.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, ticks);
    }

    [Fact]
    public void Reset_DropsWhatAHungIncarnationHeld()
    {
        var shared = new VirtualClock();
        var host = new HostClock(shared);
        var fired = 0;
        using var timer = host.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        host.Hang();
        shared.Advance(TimeSpan.FromSeconds(2));

        host.Reset();
        host.Resume();

        Assert.Equal(0, fired);
        Assert.False(host.Hung);
    }
}
