using Akka.Actor;
using Haven.Actors.Akka;

namespace Haven.Actors.Tests.Akka;

/// <summary>Akka's scheduler on the loop's virtual clock: fixed epoch, exact catch-up, cancellation, time only when idle.</summary>
public sealed class VirtualSchedulerTests : IDisposable
{
    private readonly SimHosts _hosts = LoopDeterminismTests.Hosts(2);
    private SimLoop Loop => _hosts.Loop;
    private ActorSystem Sys => _hosts.Systems[0];

    public void Dispose() => _hosts.Dispose();

    /// <summary>Writes "NAME at MS" for every message into the loop's trace.</summary>
    private sealed class RecorderActor : ReceiveActor
    {
        public RecorderActor(SimLoop loop) => ReceiveAny(m => loop.Trace.Add($"{m} at {loop.Clock.Now.TotalMilliseconds}"));
    }

    private IActorRef Recorder(string name = "rec") => Sys.ActorOf(Props.Create(() => new RecorderActor(Loop)), name);

    private List<string> Received(string what) =>
        Loop.Trace.Lines.Where(l => l.StartsWith(what + " at ", StringComparison.Ordinal)).ToList();

    [Fact]
    public void Scheduler_EveryHost_StartsAtTheFixedEpoch()
    {
        Assert.Equal(VirtualClock.Epoch, Sys.Scheduler.Now);
        Assert.Equal(VirtualClock.Epoch, _hosts.Systems[1].Scheduler.Now);
        Assert.IsType<VirtualScheduler>(Sys.Scheduler);
    }

    [Fact]
    public void PeriodicTimer_TimeAdvancedOverTenPeriods_FiresOncePerPeriodAtItsOwnInstant()
    {
        var rec = Recorder();
        Sys.Scheduler.ScheduleTellRepeatedly(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), rec, "tick", ActorRefs.NoSender);
        Loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"tick at {i * 100}"), Received("tick"));
        Assert.Equal(TimeSpan.FromSeconds(1), Loop.Clock.Now);
    }

    [Fact]
    public void Cancelled_TellOnceAndActionOnce_NeverFire_AndCancelledPeriodicStops()
    {
        var rec = Recorder();
        var once = Sys.Scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(50), rec, "once", ActorRefs.NoSender);
        var action = new Cancelable(Sys.Scheduler);
        Sys.Scheduler.Advanced.ScheduleOnce(TimeSpan.FromMilliseconds(50), () => rec.Tell("action"), action);
        var periodic = Sys.Scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100), rec, "tick", ActorRefs.NoSender);
        once.Cancel();
        action.Cancel();
        Loop.RunFor(TimeSpan.FromMilliseconds(350));
        periodic.Cancel();
        Loop.RunFor(TimeSpan.FromSeconds(1));
        Assert.Empty(Received("once"));
        Assert.Empty(Received("action"));
        Assert.Equal(["tick at 100", "tick at 200", "tick at 300"], Received("tick"));
        Assert.Equal(0, Loop.Clock.ArmedCount);
    }

    [Fact]
    public void Time_MovesOnlyWhenIdle_AndStopsAtTheNextDueTimer()
    {
        var rec = Recorder();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), rec, "late", ActorRefs.NoSender);
        for (var i = 0; i < 5; i++) rec.Tell($"now{i}");
        Loop.RunUntilIdle();
        Assert.Equal(TimeSpan.Zero, Loop.Clock.Now); // five messages handled, no time passed
        Assert.True(Loop.RunUntil(() => Received("late").Count == 1, TimeSpan.FromSeconds(10)));
        Assert.Equal(TimeSpan.FromMilliseconds(300), Loop.Clock.Now); // not a quantum later
        Assert.Equal(["now0 at 0", "now4 at 0"], new[] { Received("now0")[0], Received("now4")[0] });
    }

    [Fact]
    public void TimersOfOneActor_OnTwoHosts_ShareOneTimeline()
    {
        var a = Recorder("a");
        var b = _hosts.Systems[1].ActorOf(Props.Create(() => new RecorderActor(Loop)), "b");
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(30), a, "x", ActorRefs.NoSender);
        _hosts.Systems[1].Scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(20), b, "y", ActorRefs.NoSender);
        Loop.RunFor(TimeSpan.FromMilliseconds(100));
        var order = Loop.Trace.Lines.Where(l => l.Contains(" at ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["y at 20", "x at 30"], order);
    }

    [Fact]
    public void Reset_WithATimerArmed_IsRefused()
    {
        var rec = Recorder();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(5), rec, "x", ActorRefs.NoSender);
        Loop.RunUntilIdle();
        var refused = Assert.Throws<InvalidOperationException>(() => Loop.Reset(1));
        Assert.Contains("timer(s) armed", refused.Message);
    }

    [Fact]
    public void TimeProvider_ReadsTheVirtualClock_AndItsTimersFireOnTheLoop()
    {
        var time = Loop.Clock.TimeProvider;
        var fired = new List<TimeSpan>();
        using var timer = time.CreateTimer(_ => fired.Add(Loop.Clock.Now), null, TimeSpan.FromMilliseconds(40), TimeSpan.FromMilliseconds(40));
        Loop.RunFor(TimeSpan.FromMilliseconds(130));
        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Loop.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.Equal([40, 80, 120], fired.Select(t => (int)t.TotalMilliseconds));
        Assert.Equal(VirtualClock.Epoch + TimeSpan.FromMilliseconds(330), time.GetUtcNow());
    }
}
