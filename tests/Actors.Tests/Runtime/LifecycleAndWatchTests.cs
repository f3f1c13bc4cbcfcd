using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class LifecycleAndWatchTests : HavenTestKit
{
    [Fact]
    public void Lifecycle_StartAndStop_HooksRunInOrder()
    {
        var report = CreateTestProbe();
        var actor = ActorOf(Props.Create(() => new Counter(report, "a")));
        actor.Tell(1, null);
        actor.Tell(PoisonPill.Instance, null);
        actor.Tell(2, null);
        Assert.Equal(new object[] { "a:ctor", "a:PreStart", "a:got 1", "a:PostStop" }, report.ReceiveN(4));
        report.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Watch_ActorStops_WatcherReceivesTerminatedAfterItsLastMessages()
    {
        var watcher = CreateTestProbe();
        var echo = ActorOf(Props.Create<Echo>());
        watcher.Watch(echo);
        watcher.Send(echo, "last words");
        watcher.Send(echo, PoisonPill.Instance);
        watcher.ExpectMsg("last words");
        Assert.Equal(echo, watcher.ExpectMsg<Terminated>().ActorRef);
    }

    [Fact]
    public void Watch_AlreadyDeadActor_TerminatedArrivesAtOnce()
    {
        var echo = ActorOf(Props.Create<Echo>());
        Sys.Stop(echo);
        RunUntilIdle();
        var watcher = CreateTestProbe();
        watcher.Watch(echo);
        watcher.ExpectTerminated(echo);
    }

    [Fact]
    public void Unwatch_BeforeStop_NoTerminated()
    {
        var watcher = CreateTestProbe();
        var echo = ActorOf(Props.Create<Echo>());
        watcher.Watch(echo);
        RunUntilIdle();
        watcher.Unwatch(echo);
        RunUntilIdle();
        Sys.Stop(echo);
        watcher.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void DeathPact_UnhandledTerminated_FailsWatcherWhichIsStopped()
    {
        var probe = CreateTestProbe();
        var victim = ActorOf(Props.Create<Echo>());
        var pact = ActorOf(Props.Create(() => new PactActor(victim)));
        probe.Watch(pact);
        RunUntilIdle();
        Sys.Stop(victim);
        probe.ExpectTerminated(pact);
    }

    private sealed class PactActor : Actor
    {
        public PactActor(IActorRef victim)
        {
            Context.Watch(victim);
            Receive<string>(_ => { });
        }
    }

    [Fact]
    public void Watch_HandledTerminated_IsDeliveredToHandler()
    {
        var probe = CreateTestProbe();
        var victim = ActorOf(Props.Create<Echo>(), "victim");
        ActorOf(Props.Create(() => new Mourner(victim, probe)));
        RunUntilIdle();
        Sys.Stop(victim);
        probe.ExpectMsg("mourning victim");
    }

    private sealed class Mourner : Actor
    {
        public Mourner(IActorRef victim, IActorRef probe)
        {
            Context.Watch(victim);
            Receive<Terminated>(t => probe.Tell($"mourning {t.ActorRef.Path.Name}", null));
        }
    }

    [Fact]
    public void DeadLetters_TellToStoppedActor_PublishedWithSenderAndRecipient()
    {
        var dead = CreateTestProbe();
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var echo = ActorOf(Props.Create<Echo>());
        Sys.Stop(echo);
        RunUntilIdle();
        var sender = CreateTestProbe();
        echo.Tell("hello?", sender);
        var letter = dead.ExpectMsg<DeadLetter>();
        Assert.Equal("hello?", letter.Message);
        Assert.Equal(sender, letter.Sender);
        Assert.Equal(echo, letter.Recipient);
    }

    [Fact]
    public void DeadLetters_LookupOfUnknownPath_MessagesBecomeDeadLetters()
    {
        var dead = CreateTestProbe();
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var nobody = Sys.Lookup("haven://test/user/no/such");
        nobody.Tell("anyone?", null);
        var letter = dead.ExpectMsg<DeadLetter>();
        Assert.Equal("haven://test/user/no/such", letter.Recipient.Path.ToString());
        Assert.Throws<ArgumentException>(() => Sys.Lookup("haven://other/user/x"));
    }

    [Fact]
    public void Terminate_System_StopsChildrenBeforeParentsAndCompletesWhenTerminated()
    {
        var report = CreateTestProbe();
        var asker = CreateTestProbe();
        var top = ActorOf(Props.Create(() => new StopReporter(report, "top")), "top");
        asker.Send(top, "spawn mid");
        RunUntilIdle();
        var mid = Sys.Lookup("haven://test/user/top/mid");
        asker.Send(mid, "spawn leaf");
        RunUntilIdle();
        var terminated = Sys.Terminate();
        // The report probe lives under /system, which stops only after /user has stopped.
        Assert.Equal(new object[] { "leaf stopped", "mid stopped", "top stopped" }, report.ReceiveN(3));
        RunUntilIdle();
        Assert.True(terminated.IsCompletedSuccessfully);
        Assert.Throws<InvalidOperationException>(() => Sys.ActorOf(Props.Create<Echo>()));
    }

    private sealed class StopReporter : Actor
    {
        private readonly IActorRef _report;
        private readonly string _name;

        public StopReporter(IActorRef report, string name)
        {
            _report = report;
            _name = name;
            Receive<string>(s => s.StartsWith("spawn "), s =>
                Context.ActorOf(Props.Create(() => new StopReporter(report, s[6..])), s[6..]));
        }

        protected override void PostStop() => _report.Tell($"{_name} stopped", null);
    }

    [Fact]
    public void Kill_DefaultStrategy_StopsActor()
    {
        var watcher = CreateTestProbe();
        var echo = ActorOf(Props.Create<Echo>());
        watcher.Watch(echo);
        echo.Tell(Kill.Instance, null);
        watcher.ExpectTerminated(echo);
    }
}
