using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class MessagingTests : HavenTestKit
{
    [Fact]
    public void Tell_ManyMessagesFromOneSender_ArriveInSendOrder()
    {
        var probe = CreateTestProbe();
        var echo = ActorOf(Props.Create<Echo>());
        for (var i = 0; i < 500; i++) echo.Tell(i, probe);
        var got = probe.ReceiveN(500);
        Assert.Equal(Enumerable.Range(0, 500).Cast<object>(), got);
    }

    [Fact]
    public void Mailbox_SystemMessageQueuedAfterUserMessages_IsProcessedFirst()
    {
        var probe = CreateTestProbe();
        var counter = ActorOf(Props.Create(() => new Counter(probe, "c")));
        probe.ExpectMsg("c:ctor");
        probe.ExpectMsg("c:PreStart");
        var deadLetters = CreateTestProbe();
        Sys.EventStream.Subscribe<DeadLetter>(deadLetters);
        counter.Tell(1, null);
        counter.Tell(2, null);
        Sys.Stop(counter); // enqueued after the user messages, handled before them
        probe.ExpectMsg("c:PostStop");
        probe.ExpectNoMsg(TimeSpan.FromSeconds(1));
        Assert.Equal(1, deadLetters.ExpectMsg<DeadLetter>().Message);
        Assert.Equal(2, deadLetters.ExpectMsg<DeadLetter>().Message);
    }

    [Fact]
    public void Receive_PredicateHandler_OnlyMatchingMessagesAndFirstRegisteredWins()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new PredicateActor(probe)));
        actor.Tell(5, null);
        actor.Tell(50, null);
        actor.Tell("text", null);
        probe.ExpectMsg("small 5");
        probe.ExpectMsg("big 50");
        probe.ExpectMsg("any text");
    }

    private sealed class PredicateActor : Actor
    {
        public PredicateActor(IActorRef probe)
        {
            Receive<int>(n => n < 10, n => probe.Tell($"small {n}", null));
            Receive<int>(n => probe.Tell($"big {n}", null));
            Receive<int>(n => probe.Tell("never", null));
            ReceiveAny(m => probe.Tell($"any {m}", null));
        }
    }

    [Fact]
    public void Become_SwitchesHandlers_AndUnbecomeStackedRestoresThem()
    {
        var probe = CreateTestProbe();
        var actor = ActorOf(Props.Create(() => new Moody(probe)));
        actor.Tell("hi", null);
        actor.Tell("angry", null);
        actor.Tell("hi", null);
        actor.Tell("calm", null);
        actor.Tell("hi", null);
        probe.ExpectMsg("happy: hi");
        probe.ExpectMsg("angry: hi");
        probe.ExpectMsg("happy: hi");
    }

    private sealed class Moody : Actor
    {
        public Moody(IActorRef probe)
        {
            Receive<string>(s => s == "angry", _ => BecomeStacked(() =>
            {
                Receive<string>(s => s == "calm", _ => UnbecomeStacked());
                Receive<string>(s => probe.Tell($"angry: {s}", null));
            }));
            Receive<string>(s => probe.Tell($"happy: {s}", null));
        }
    }

    [Fact]
    public void Forward_KeepsOriginalSender()
    {
        var probe = CreateTestProbe();
        var ponger = ActorOf(Props.Create<Ponger>());
        var forwarder = ActorOf(Props.Create(() => new Forwarder(ponger)));
        probe.Send(forwarder, new Ping(7));
        probe.ExpectMsg(new Pong(7));
        Assert.Equal(ponger, probe.LastSender);
    }

    [Fact]
    public void Unhandled_MessageWithoutHandler_IsPublishedAsUnhandledMessage()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe<UnhandledMessage>(probe);
        var ponger = ActorOf(Props.Create<Ponger>(), "ponger");
        ponger.Tell("not a ping", null);
        var u = probe.ExpectMsg<UnhandledMessage>();
        Assert.Equal("not a ping", u.Message);
        Assert.Equal(ponger, u.Recipient);
    }

    [Fact]
    public void ActorOf_NestedChildren_HavePathsUnderUserAndUniqueNames()
    {
        var probe = CreateTestProbe();
        var cluster = ActorOf(Props.Create(() => new Parent(null)), "cluster");
        probe.Send(cluster, (Props.Create<Echo>(), "host-n1"));
        var host = probe.ExpectMsg<IActorRef>();
        Assert.Equal("haven://test/user/cluster/host-n1", host.Path.ToString());
        Assert.Equal("haven://test/user/cluster", cluster.Path.ToString());
        Assert.Throws<InvalidActorNameException>(() => ActorOf(Props.Create<Echo>(), "cluster"));
        Assert.Throws<InvalidActorNameException>(() => ActorOf(Props.Create<Echo>(), "a/b"));
        Assert.Throws<InvalidActorNameException>(() => ActorOf(Props.Create<Echo>(), "$reserved"));
        var generated = ActorOf(Props.Create<Echo>());
        Assert.StartsWith("haven://test/user/$", generated.Path.ToString());
        Assert.Equal(host, Sys.Lookup("haven://test/user/cluster/host-n1"));
    }

    [Fact]
    public void Context_ChildAndChildren_ReflectCreatedAndStoppedChildren()
    {
        var probe = CreateTestProbe();
        var parent = ActorOf(Props.Create(() => new ChildLister(probe)), "p");
        parent.Tell("make a", null);
        parent.Tell("make b", null);
        parent.Tell("list", null);
        probe.ExpectMsg("a,b");
        parent.Tell("stop a", null);
        RunUntilIdle();
        parent.Tell("list", null);
        probe.ExpectMsg("b");
        parent.Tell("find zz", null);
        probe.ExpectMsg("nobody");
    }

    private sealed class ChildLister : Actor
    {
        public ChildLister(IActorRef probe)
        {
            Receive<string>(s => s.StartsWith("make "), s => Context.ActorOf(Props.Create<Echo>(), s[5..]));
            Receive<string>(s => s.StartsWith("stop "), s => Context.Stop(Context.Child(s[5..])));
            Receive<string>(s => s.StartsWith("find "), s =>
                probe.Tell(ReferenceEquals(Context.Child(s[5..]), ActorRefs.Nobody) ? "nobody" : "found", null));
            Receive<string>(s => s == "list", _ => probe.Tell(string.Join(",", Context.Children.Select(c => c.Path.Name)), null));
        }
    }

    [Fact]
    public void Actor_CreatedWithNew_ThrowsClearError()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new Echo());
        Assert.Contains("ActorOf", ex.Message);
    }
}
