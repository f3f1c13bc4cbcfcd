using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class TimerTests : HavenTestKit
{
    private sealed record Start(string Kind, string Key, object Msg, TimeSpan Delay);
    private sealed record CancelKey(string Key);
    private sealed record IsActive(string Key);

    private sealed class TimerActor : Actor
    {
        public TimerActor(IActorRef probe)
        {
            Receive<Start>(s =>
            {
                if (s.Kind == "single") Timers.StartSingleTimer(s.Key, s.Msg, s.Delay);
                else Timers.StartPeriodicTimer(s.Key, s.Msg, s.Delay);
            });
            Receive<CancelKey>(c => Timers.Cancel(c.Key));
            Receive<IsActive>(a => Sender.Tell(Timers.IsTimerActive(a.Key), Self));
            Receive<string>(s => probe.Tell($"{s}@{Context.System.TimeProvider.GetUtcNow():HH:mm:ss}", null));
        }
    }

    private (IActorRef Actor, TestProbe Probe) Spawn()
    {
        var probe = CreateTestProbe();
        return (ActorOf(Props.Create(() => new TimerActor(probe))), probe);
    }

    [Fact]
    public void SingleTimer_FiresOnceAtDelay()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("single", "k", "tick", TimeSpan.FromSeconds(5)), null);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(4.9));
        probe.ExpectMsg("tick@00:00:05");
        probe.ExpectNoMsg(TimeSpan.FromMinutes(1));
        Assert.False(AwaitResult(actor.Ask<bool>(new IsActive("k"), TimeSpan.FromSeconds(1))));
    }

    [Fact]
    public void PeriodicTimer_FiresEveryInterval()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("periodic", "p", "beat", TimeSpan.FromSeconds(2)), null);
        Assert.Equal(new object[] { "beat@00:00:02", "beat@00:00:04", "beat@00:00:06" }, probe.ReceiveN(3, TimeSpan.FromSeconds(10)));
        Assert.True(AwaitResult(actor.Ask<bool>(new IsActive("p"), TimeSpan.FromSeconds(1))));
    }

    [Fact]
    public void Cancel_ActiveTimer_NeverFires()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("periodic", "p", "beat", TimeSpan.FromSeconds(2)), null);
        probe.ExpectMsg("beat@00:00:02");
        actor.Tell(new CancelKey("p"), null);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(30));
        Assert.False(AwaitResult(actor.Ask<bool>(new IsActive("p"), TimeSpan.FromSeconds(1))));
    }

    [Fact]
    public void StartWithSameKey_ReplacesOldTimer()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("single", "k", "old", TimeSpan.FromSeconds(5)), null);
        RunUntilIdle();
        Advance(TimeSpan.FromSeconds(3));
        actor.Tell(new Start("single", "k", "new", TimeSpan.FromSeconds(5)), null);
        probe.ExpectMsg("new@00:00:08", TimeSpan.FromSeconds(10));
        probe.ExpectNoMsg(TimeSpan.FromSeconds(30));
    }

    /// <summary>Fires due timers without running actors, so their ticks queue up behind earlier messages.</summary>
    private void AdvanceWithoutRunningActors(TimeSpan by)
    {
        Clock.Dispatcher = null;
        try { Clock.Advance(by); }
        finally { Clock.Dispatcher = Dispatcher; }
    }

    [Fact]
    public void ReplacedTimer_OldTickAlreadyInMailbox_IsDropped()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("single", "k", "old", TimeSpan.FromSeconds(1)), null);
        RunUntilIdle();
        actor.Tell(new Start("single", "k", "new", TimeSpan.FromSeconds(5)), null);
        AdvanceWithoutRunningActors(TimeSpan.FromSeconds(1)); // old tick queued behind the replacement
        probe.ExpectNoMsg(TimeSpan.FromSeconds(4.5));
        probe.ExpectMsg("new@00:00:06");
        probe.ExpectNoMsg(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void CancelledTimer_TickAlreadyInMailbox_IsDropped()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("periodic", "k", "beat", TimeSpan.FromSeconds(1)), null);
        RunUntilIdle();
        actor.Tell(new CancelKey("k"), null);
        AdvanceWithoutRunningActors(TimeSpan.FromSeconds(1));
        probe.ExpectNoMsg(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Timers_ActorStops_AllTimersCancelled()
    {
        var (actor, probe) = Spawn();
        actor.Tell(new Start("periodic", "p", "beat", TimeSpan.FromSeconds(1)), null);
        actor.Tell(new Start("single", "s", "once", TimeSpan.FromSeconds(5)), null);
        probe.ExpectMsg("beat@00:00:01");
        Sys.Stop(actor);
        RunUntilIdle();
        Assert.Equal(0, Clock.ActiveTimerCount);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Scheduler_TellOnceAndRepeatedly_FireOnVirtualTimeAndStopWhenCancelled()
    {
        var probe = CreateTestProbe();
        Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(3), probe, "once", null);
        var repeating = Sys.Scheduler.ScheduleTellRepeatedly(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), probe, "rep", null);
        probe.ExpectMsg("rep");
        Assert.Equal(TimeSpan.FromSeconds(1), Clock.GetUtcNow() - new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
        probe.ExpectMsg("once"); // both due at 3 s: timers due together fire in creation order
        probe.ExpectMsg("rep");
        repeating.Cancel();
        Assert.True(repeating.IsCancellationRequested);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(20));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sys.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(-1), probe, "x", null));
    }
}
