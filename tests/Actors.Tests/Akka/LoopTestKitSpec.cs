using Akka.Actor;
using Akka.TestKit;
using Haven.Actors.Akka;
using Haven.Actors.Akka.Workload;

namespace Haven.Actors.Tests.Akka;

/// <summary>
/// Akka.TestKit.Xunit2 on the loop. The TestKit boots in free mode; the constructor freezes the loop and from then
/// on only the test thread runs actors. ExpectMsg(TimeSpan.Zero) looks at what the stepped run produced; probes are
/// made in a thaw/freeze bracket (CreateTestProbe blocks until its actor has started).
/// </summary>
public sealed class LoopTestKitSpec : global::Akka.TestKit.Xunit2.TestKit
{
    private readonly SimLoop _loop;

    public LoopTestKitSpec() : this(new SimLoop($"spec-{Guid.NewGuid():N}", 11)) { }

    private LoopTestKitSpec(SimLoop loop) : base(AkkaConfig.Build(AkkaHostSettings.Simulation(loop)), "spec")
    {
        _loop = loop;
        _loop.Freeze();
    }

    protected override void Dispose(bool disposing)
    {
        _loop.Thaw(); // TestKit's shutdown blocks until the system has terminated
        base.Dispose(disposing);
        _loop.Dispose();
    }

    private TestProbe Probe()
    {
        _loop.RunUntilIdle();
        _loop.Thaw();
        var probe = CreateTestProbe();
        _loop.Freeze();
        return probe;
    }

    private sealed class Ticker : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        public Ticker(IActorRef probe)
        {
            var n = 0;
            Receive<string>(_ => probe.Tell(++n));
        }

        protected override void PreStart() => Timers.StartPeriodicTimer("t", "tick", TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void TimersOnTheLoop_FireOnlyWhenVirtualTimeMoves_OncePerPeriod()
    {
        var probe = Probe();
        Sys.ActorOf(Props.Create(() => new Ticker(probe.Ref)), "ticker");
        _loop.RunUntilIdle();
        probe.ExpectNoMsg(TimeSpan.Zero);
        _loop.RunFor(TimeSpan.FromSeconds(1));
        for (var i = 1; i <= 10; i++) probe.ExpectMsg(i, TimeSpan.Zero);
        probe.ExpectNoMsg(TimeSpan.Zero);
        Assert.Empty(_loop.Escapes);
    }

    private sealed record Gone(string Name);

    /// <summary>TestKit's Watch is a blocking Ask to the test actor; watching from an actor works on a stepped loop.
    /// A forwarded Terminated would be dropped (it is auto-received), so the watcher wraps it.</summary>
    private sealed class Watcher : ReceiveActor
    {
        public Watcher(IActorRef target, IActorRef report)
        {
            Context.Watch(target);
            Receive<Terminated>(t => report.Tell(new Gone(t.ActorRef.Path.Name)));
        }
    }

    [Fact]
    public void PersistentActor_StoppedAndStartedAgain_RecoversItsEventsAndSnapshot()
    {
        var trace = _loop.Trace;
        var ledger = Sys.ActorOf(Props.Create(() => new Ledger(0, trace)), "ledger");
        for (var n = 1; n <= 30; n++) ledger.Tell(new Entry(n));
        ledger.Tell(new GetLedger(), TestActor);
        _loop.RunUntilIdle();
        var before = ExpectMsg<LedgerState>(TimeSpan.Zero);
        Assert.Equal(36, before.SequenceNr); // 30 entries, every 5th persisted as two events
        Sys.ActorOf(Props.Create(() => new Watcher(ledger, TestActor)), "watcher");
        _loop.RunUntilIdle();
        Sys.Stop(ledger);
        _loop.RunUntilIdle();
        Assert.Equal("ledger", ExpectMsg<Gone>(TimeSpan.Zero).Name);
        var again = Sys.ActorOf(Props.Create(() => new Ledger(0, trace)), "ledger-again");
        again.Tell(new GetLedger(), TestActor);
        _loop.RunUntilIdle();
        Assert.Equal(before, ExpectMsg<LedgerState>(TimeSpan.Zero));
        Assert.Contains(trace.Lines, l => l == "host0: ledger-again recovered seq 36 sum " + before.Sum);
        Assert.Contains(trace.Lines, l => l == "host0: snapshot at 25" || l == "host0: snapshot at 26");
        Assert.Empty(_loop.Escapes);
    }
}
