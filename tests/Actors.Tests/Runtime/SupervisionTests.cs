using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class SupervisionTests : HavenTestKit
{
    private (IActorRef Parent, IActorRef Child, TestProbe Report) Spawn(SupervisorStrategy? strategy, string id = "c")
    {
        var report = CreateTestProbe();
        var parent = ActorOf(Props.Create(() => new Parent(strategy)));
        var asker = CreateTestProbe();
        asker.Send(parent, (Props.Create(() => new Counter(report, id)), id));
        var child = asker.ExpectMsg<IActorRef>();
        report.ExpectMsg($"{id}:ctor");
        report.ExpectMsg($"{id}:PreStart");
        return (parent, child, report);
    }

    private int StateOf(IActorRef child) => AwaitResult(child.Ask<int>(new GetState(), TimeSpan.FromSeconds(1)));

    [Fact]
    public void Resume_ChildKeepsStateAndSkipsFailedMessage()
    {
        var (_, child, report) = Spawn(new OneForOneStrategy(_ => Directive.Resume));
        child.Tell(5, null);
        child.Tell(new Boom("x"), null);
        child.Tell(2, null);
        report.ExpectMsg("c:got 5");
        report.ExpectMsg("c:got 2");
        Assert.Equal(7, StateOf(child));
    }

    [Fact]
    public void Restart_DefaultStrategy_FreshInstanceWithHooksInOrderAndMailboxKept()
    {
        var (_, child, report) = Spawn(null);
        child.Tell(5, null);
        child.Tell(new Boom("bad"), null);
        child.Tell(1, null);
        report.ExpectMsg("c:got 5");
        report.ExpectMsg("c:PreRestart bad on Boom { Why = bad }");
        report.ExpectMsg("c:PostStop");
        report.ExpectMsg("c:ctor");
        report.ExpectMsg("c:PostRestart bad");
        report.ExpectMsg("c:PreStart");
        report.ExpectMsg("c:got 1");
        Assert.Equal(1, StateOf(child)); // state was reset, message after the failure kept
    }

    [Fact]
    public void Stop_Directive_StopsChildAndWatcherSeesTerminated()
    {
        var (_, child, report) = Spawn(SupervisorStrategy.StoppingStrategy);
        var watcher = CreateTestProbe();
        watcher.Watch(child);
        child.Tell(new Boom("x"), null);
        report.ExpectMsg("c:PostStop");
        watcher.ExpectTerminated(child);
    }

    [Fact]
    public void Escalate_ParentFailsAndIsRestartedByItsSupervisor_ChildIsStopped()
    {
        var (parent, child, report) = Spawn(new OneForOneStrategy(_ => Directive.Escalate));
        var watcher = CreateTestProbe();
        watcher.Watch(child);
        watcher.Watch(parent);
        child.Tell(new Boom("x"), null);
        // The parent is restarted by /user (default strategy); restart stops its children (Akka's default).
        report.ExpectMsg("c:PostStop");
        watcher.ExpectTerminated(child);
        watcher.ExpectNoMsg(TimeSpan.FromSeconds(1)); // the parent itself lives on
        var asker = CreateTestProbe();
        asker.Send(parent, (Props.Create<Echo>(), "c"));
        Assert.Equal("c", asker.ExpectMsg<IActorRef>().Path.Name); // the name is free again
    }

    [Fact]
    public void Restart_RetriesWithinWindowExceeded_ChildIsStopped()
    {
        var (_, child, report) = Spawn(new OneForOneStrategy(2, TimeSpan.FromMinutes(1), _ => Directive.Restart));
        var watcher = CreateTestProbe();
        watcher.Watch(child);
        for (var i = 0; i < 2; i++)
        {
            child.Tell(new Boom("x"), null);
            report.FishForMessage<string>(s => s == "c:PreStart");
            Advance(TimeSpan.FromSeconds(10));
        }
        child.Tell(new Boom("third"), null);
        watcher.ExpectTerminated(child);
    }

    [Fact]
    public void Restart_WindowElapsedBetweenFailures_CountStartsOver()
    {
        var (_, child, report) = Spawn(new OneForOneStrategy(1, TimeSpan.FromSeconds(30), _ => Directive.Restart));
        var watcher = CreateTestProbe();
        watcher.Watch(child);
        for (var i = 0; i < 3; i++)
        {
            child.Tell(new Boom("x"), null);
            report.FishForMessage<string>(s => s == "c:PreStart");
            Advance(TimeSpan.FromSeconds(31));
        }
        watcher.ExpectNoMsg(TimeSpan.FromSeconds(1));
        child.Tell(new Boom("quick 1"), null);
        report.FishForMessage<string>(s => s == "c:PreStart");
        child.Tell(new Boom("quick 2"), null); // second within 30 s: over the limit of 1
        watcher.ExpectTerminated(child);
    }

    [Fact]
    public void Restart_WithBackoff_WaitsMinTimesTwoToTheNCappedAtMax()
    {
        var backoff = new RestartBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), 0);
        var (_, child, report) = Spawn(new OneForOneStrategy(-1, TimeSpan.FromMinutes(10), _ => Directive.Restart, backoff));
        var expected = new[] { 1, 2, 4, 5, 5 };
        foreach (var seconds in expected)
        {
            var failedAt = Clock.GetUtcNow();
            child.Tell(new Boom("x"), null);
            report.ExpectNoMsg(TimeSpan.FromSeconds(seconds) - TimeSpan.FromMilliseconds(1));
            report.ExpectMsg("c:PreRestart x on Boom { Why = x }", TimeSpan.FromMilliseconds(1));
            report.ExpectMsg("c:PostStop");
            Assert.Equal(TimeSpan.FromSeconds(seconds), Clock.GetUtcNow() - failedAt);
            report.ExpectMsg("c:ctor");
            report.ExpectMsg("c:PostRestart x");
            report.ExpectMsg("c:PreStart");
        }
    }

    [Fact]
    public void Restart_WhileBackingOff_UserMessagesWaitAndAreThenHandled()
    {
        var backoff = new RestartBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), 0);
        var (_, child, report) = Spawn(new OneForOneStrategy(-1, null, _ => Directive.Restart, backoff));
        child.Tell(new Boom("x"), null);
        child.Tell(9, null);
        report.ExpectNoMsg(TimeSpan.FromSeconds(1.9)); // restart pending, 9 waits in the mailbox
        report.FishForMessage<string>(s => s == "c:got 9", TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Backoff_RandomFactor_StaysWithinBoundsAndInvalidSettingsAreRejected()
    {
        var b = new RestartBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), 0.5);
        Assert.Equal(TimeSpan.FromSeconds(4), b.DelayFor(2, 0));
        Assert.Equal(TimeSpan.FromSeconds(6), b.DelayFor(2, 1));
        Assert.Equal(TimeSpan.FromSeconds(8), b.DelayFor(10, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RestartBackoff(TimeSpan.Zero, TimeSpan.FromSeconds(1), 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RestartBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RestartBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 2).Validate());
    }

    [Fact]
    public void Restart_ParentWithChildren_ChildrenAreStoppedBeforeNewInstanceStarts()
    {
        var report = CreateTestProbe();
        var asker = CreateTestProbe();
        var top = ActorOf(Props.Create(() => new Parent(null)), "top");
        asker.Send(top, (Props.Create(() => new Counter(report, "leaf")), "leaf"));
        var leaf = asker.ExpectMsg<IActorRef>();
        report.ExpectMsg("leaf:ctor");
        report.ExpectMsg("leaf:PreStart");
        var watcher = CreateTestProbe();
        watcher.Watch(leaf);
        top.Tell(new Boom("top fails"), null); // /user restarts top (default strategy)
        report.ExpectMsg("leaf:PostStop");
        watcher.ExpectTerminated(leaf);
        asker.Send(top, (Props.Create<Echo>(), "leaf")); // the fresh instance may reuse the name
        Assert.Equal("haven://test/user/top/leaf", asker.ExpectMsg<IActorRef>().Path.ToString());
    }

    [Fact]
    public void Initialization_ConstructorThrows_DefaultStrategyStopsActor()
    {
        var watcher = CreateTestProbe();
        var actor = ActorOf(Props.Create(() => new BrokenCtor()));
        watcher.Watch(actor);
        watcher.ExpectTerminated(actor);
    }

    private sealed class BrokenCtor : Actor
    {
        public BrokenCtor() => throw new InvalidOperationException("cannot start");
    }
}
