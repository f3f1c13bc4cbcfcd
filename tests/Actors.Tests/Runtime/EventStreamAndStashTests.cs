using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public abstract record Animal(string Name);
public sealed record Dog(string Name) : Animal(Name);
public sealed record Cat(string Name) : Animal(Name);

public sealed class EventStreamAndStashTests : HavenTestKit
{
    [Fact]
    public void Subscribe_BaseType_ReceivesSubtypesOnlyOncePerPublish()
    {
        var animals = CreateTestProbe();
        var dogs = CreateTestProbe();
        Sys.EventStream.Subscribe(animals, typeof(Animal));
        Sys.EventStream.Subscribe(animals, typeof(Dog));
        Sys.EventStream.Subscribe<Dog>(dogs);
        Sys.EventStream.Publish(new Dog("rex"));
        Sys.EventStream.Publish(new Cat("tom"));
        Sys.EventStream.Publish("not an animal");
        animals.ExpectMsg(new Dog("rex"));
        animals.ExpectMsg(new Cat("tom"));
        animals.ExpectNoMsg(TimeSpan.FromSeconds(1));
        dogs.ExpectMsg(new Dog("rex"));
        dogs.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Unsubscribe_StopsDelivery()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe<Animal>(probe);
        Assert.True(Sys.EventStream.Unsubscribe(probe, typeof(Animal)));
        Sys.EventStream.Publish(new Dog("rex"));
        probe.ExpectNoMsg(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Subscriber_Stops_IsRemovedFromStream()
    {
        var echo = ActorOf(Props.Create<Echo>());
        Sys.EventStream.Subscribe<Animal>(echo);
        var before = Sys.EventStream.SubscriptionCount;
        Sys.Stop(echo);
        RunUntilIdle();
        Assert.Equal(before - 1, Sys.EventStream.SubscriptionCount);
        Assert.False(Sys.EventStream.Subscribe<Animal>(echo));
    }

    [Fact]
    public void Subscribe_AllDeadLetters_ReceivesDeadAndUnhandled()
    {
        var probe = CreateTestProbe();
        Sys.EventStream.Subscribe<AllDeadLetters>(probe);
        var ponger = ActorOf(Props.Create<Ponger>());
        ponger.Tell("??", null);
        probe.ExpectMsg<UnhandledMessage>();
        Sys.DeadLetters.Tell("lost", null);
        Assert.Equal("lost", probe.ExpectMsg<DeadLetter>().Message);
    }

    private sealed record Open;
    private sealed record Close;

    /// <summary>Stashes work while closed; opening unstashes it ahead of newer messages.</summary>
    private sealed class Gate : Actor
    {
        public Gate(IActorRef probe)
        {
            Receive<Open>(_ => { Become(Opened); Stash.UnstashAll(); });
            ReceiveAny(_ => Stash.Stash());

            void Opened()
            {
                Receive<Close>(_ => Become(() =>
                {
                    Receive<Open>(_ => { Become(Opened); Stash.UnstashAll(); });
                    ReceiveAny(_ => Stash.Stash());
                }));
                Receive<int>(n => probe.Tell($"{n} from {Sender.Path.Name}", null));
            }
        }
    }

    [Fact]
    public void Stash_UnstashAll_ReplaysInOriginalOrderBeforeNewerMessagesWithSenders()
    {
        var probe = CreateTestProbe();
        var sender = CreateTestProbe("sender");
        var gate = ActorOf(Props.Create(() => new Gate(probe)));
        gate.Tell(1, sender);
        gate.Tell(2, sender);
        RunUntilIdle();
        gate.Tell(new Open(), null);
        gate.Tell(3, sender);
        Assert.Equal(new object[] { "1 from sender", "2 from sender", "3 from sender" }, probe.ReceiveN(3));
        gate.Tell(new Close(), null);
        gate.Tell(4, sender);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(1));
        gate.Tell(new Open(), null);
        probe.ExpectMsg("4 from sender");
    }

    [Fact]
    public void Stash_ActorStops_StashedMessagesBecomeDeadLetters()
    {
        var probe = CreateTestProbe();
        var dead = CreateTestProbe();
        Sys.EventStream.Subscribe<DeadLetter>(dead);
        var gate = ActorOf(Props.Create(() => new Gate(probe)));
        gate.Tell(1, null);
        gate.Tell(2, null);
        RunUntilIdle();
        Sys.Stop(gate);
        Assert.Equal(1, dead.ExpectMsg<DeadLetter>().Message);
        Assert.Equal(2, dead.ExpectMsg<DeadLetter>().Message);
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    [Fact]
    public void Stash_OneSingletonMessageArrivingTwice_BothAreStashedWithoutAFailure()
    {
        var probe = CreateTestProbe();
        var counter = ActorOf(Props.Create(() => new StashCounter(probe)));
        counter.Tell(Tick.Instance, null); // the same object twice, as a singleton tick arrives
        counter.Tell(Tick.Instance, null);
        counter.Tell(5, null);
        counter.Tell(new Open(), null);
        Assert.Equal((3, 3), probe.ExpectMsg<(int Handled, int Stashed)>());
    }

    /// <summary>Stashes everything until Open, then reports how many it handled (a restart would reset that).</summary>
    private sealed class StashCounter : Actor
    {
        public StashCounter(IActorRef probe)
        {
            var handled = 0;
            Receive<Open>(_ => probe.Tell((handled, Stash.Count), null));
            ReceiveAny(_ =>
            {
                handled++;
                Stash.Stash();
            });
        }
    }

    [Fact]
    public void Stash_SameMessageTwice_FailsWithStashException()
    {
        var probe = CreateTestProbe();
        var actor = ActorOf(Props.Create(() => new DoubleStasher(probe)));
        actor.Tell("x", null);
        Assert.IsType<StashException>(probe.ExpectMsg<Exception>());
    }

    private sealed class DoubleStasher : Actor
    {
        public DoubleStasher(IActorRef probe) => Receive<string>(_ =>
        {
            Stash.Stash();
            try { Stash.Stash(); }
            catch (Exception ex) { probe.Tell(ex, null); }
        });
    }
}
