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
    public void SlowdownEnds_PendingTimersAreRescaled_NotLeftStretched()
    {
        var shared = new VirtualClock();
        var host = new HostClock(shared) { Slowdown = 5 };
        var start = shared.GetUtcNow();
        var single = new List<TimeSpan>();
        var periodic = new List<TimeSpan>();
        using var once = host.CreateTimer(_ => single.Add(shared.GetUtcNow() - start), null, TimeSpan.FromMinutes(5), Timeout.InfiniteTimeSpan);
        using var every = host.CreateTimer(_ => periodic.Add(shared.GetUtcNow() - start), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

        shared.Advance(TimeSpan.FromMinutes(5)); // a fifth of the 25 min it is due in while slow
        host.Slowdown = 1; // back on time: 4 of its 5 minutes are left
        shared.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(59));
        Assert.Empty(single);
        shared.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal([TimeSpan.FromMinutes(9)], single);
        // The periodic one fired every 10 s while slow (30 times in 5 min), then every 2 s.
        Assert.Equal(30, periodic.Count(t => t <= TimeSpan.FromMinutes(5)));
        var after = periodic.Where(t => t > TimeSpan.FromMinutes(5)).Take(3).ToList();
        Assert.Equal(TimeSpan.FromSeconds(2), after[2] - after[1]);
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
