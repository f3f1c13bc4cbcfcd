using Haven.Actors.Runtime;
using Haven.TestKit;

namespace Haven.Actors.Tests.Runtime;

public sealed class DeterminismTests
{
    private sealed record Gossip(int Hops, string Origin);
    private sealed record Tick;

    /// <summary>Forwards gossip to a random peer (own seeded Random), fails every 7th message, ticks on a timer.</summary>
    private sealed class Node : Actor
    {
        private readonly List<string> _trace;
        private readonly Random _random;
        private int _seen;

        public Node(List<string> trace, IReadOnlyList<IActorRef> peers, int seed)
        {
            _trace = trace;
            _random = new Random(seed);
            Receive<Gossip>(g =>
            {
                _seen++;
                Record($"gossip {g.Origin} hops={g.Hops} from={Sender.Path.Name}");
                if (_seen % 7 == 0) throw new InvalidOperationException("every seventh");
                if (g.Hops > 0) peers[_random.Next(peers.Count)].Tell(g with { Hops = g.Hops - 1 }, Self);
            });
            Receive<Tick>(_ => Record("tick"));
        }

        protected override void PreStart() =>
            Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(300 + _random.Next(500)));

        protected override void PostRestart(Exception reason)
        {
            Record("restarted");
            base.PostRestart(reason);
        }

        private void Record(string what) =>
            _trace.Add($"{Context.System.TimeProvider.GetUtcNow():HH:mm:ss.fff} {Self.Path} {what}");
    }

    /// <summary>Three hosts, one system each, sharing one dispatcher and one clock.</summary>
    private static List<string> RunScript(int seed)
    {
        var trace = new List<string>();
        var dispatcher = new DeterministicDispatcher();
        var clock = new VirtualClock(dispatcher: dispatcher);
        var strategy = new OneForOneStrategy(-1, null, _ => Directive.Restart,
            new RestartBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2), 0.8));
        var systems = Enumerable.Range(1, 3)
            .Select(i => ActorSystem.Create($"n{i}", ActorSystemSettings.Deterministic(dispatcher, clock, seed * 10 + i)
                with { GuardianSupervisorStrategy = strategy }))
            .ToList();
        var peers = new List<IActorRef>();
        var seedSource = new Random(seed);
        foreach (var system in systems)
            for (var a = 0; a < 3; a++)
                peers.Add(system.ActorOf(Props.Create(() => new Node(trace, peers, seedSource.Next())), $"host-{a}"));
        for (var i = 0; i < peers.Count; i++) peers[i].Tell(new Gossip(25, $"g{i}"), null);
        clock.Advance(TimeSpan.FromSeconds(10));
        foreach (var system in systems) system.Terminate();
        dispatcher.RunUntilIdle();
        Assert.All(systems, s => Assert.True(s.WhenTerminated.IsCompletedSuccessfully));
        return trace;
    }

    [Fact]
    public void SameSeedSameScript_ProducesIdenticalTraceTwice()
    {
        var first = RunScript(7);
        var second = RunScript(7);
        Assert.True(first.Count > 100, $"trace too short to prove anything: {first.Count}");
        Assert.Contains(first, l => l.Contains("restarted"));
        Assert.Contains(first, l => l.Contains("haven://n3/user/host-2"));
        Assert.Equal(first, second);
    }

    [Fact]
    public void DifferentSeed_ProducesDifferentTrace()
    {
        Assert.NotEqual(RunScript(7), RunScript(8));
    }

    [Fact]
    public void TwoSystems_SharingDispatcherAndClock_TalkAndTimeIsShared()
    {
        var dispatcher = new DeterministicDispatcher();
        var clock = new VirtualClock(dispatcher: dispatcher);
        var a = ActorSystem.Create("host-a", ActorSystemSettings.Deterministic(dispatcher, clock, 1));
        var b = ActorSystem.Create("host-b", ActorSystemSettings.Deterministic(dispatcher, clock, 2));
        var ponger = b.ActorOf(Props.Create<Ponger>(), "ponger");
        var probe = new TestProbe(a);
        probe.Send(ponger, new Ping(1));
        probe.ExpectMsg(new Pong(1));
        Assert.Equal("haven://host-b/user/ponger", probe.LastSender.Path.ToString());
        var ask = ponger.Ask<string>(new Ping(2), TimeSpan.FromSeconds(2)); // wrong reply type
        Assert.IsType<InvalidCastException>(Driver.AwaitFailure(a, ask, TimeSpan.FromSeconds(1)));
        b.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(5), probe, "from b's scheduler", null);
        probe.ExpectNoMsg(TimeSpan.FromSeconds(4.9));
        probe.ExpectMsg("from b's scheduler", TimeSpan.FromSeconds(1));
        Assert.Same(a.TimeProvider, b.TimeProvider);
        Assert.Throws<ArgumentException>(() =>
            ActorSystemSettings.Deterministic(new DeterministicDispatcher(), clock, 3));
    }

    [Fact]
    public void DeterministicDispatcher_Step_ProcessesExactlyOneMessage()
    {
        var dispatcher = new DeterministicDispatcher();
        var clock = new VirtualClock(dispatcher: dispatcher);
        var system = ActorSystem.Create("s", ActorSystemSettings.Deterministic(dispatcher, clock, 1));
        dispatcher.RunUntilIdle();
        var seen = new List<int>();
        var actor = system.ActorOf(Props.Create(() => new Collector(seen)));
        dispatcher.RunUntilIdle();
        actor.Tell(1, null);
        actor.Tell(2, null);
        Assert.True(dispatcher.Step());
        Assert.Equal(new[] { 1 }, seen);
        Assert.True(dispatcher.Step());
        Assert.Equal(new[] { 1, 2 }, seen);
        Assert.False(dispatcher.Step());
    }

    private sealed class Collector : Actor
    {
        public Collector(List<int> seen) => Receive<int>(seen.Add);
    }

    [Fact]
    public void VirtualClock_Advance_FiresTimersInDueOrderAndRejectsGoingBack()
    {
        var clock = new VirtualClock();
        var fired = new List<string>();
        using var t3 = clock.CreateTimer(_ => fired.Add($"3@{clock.GetUtcNow():ss}"), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var t1 = clock.CreateTimer(_ => fired.Add($"1@{clock.GetUtcNow():ss}"), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(new[] { "1@01", "1@02", "3@03", "1@03" }, fired);
        Assert.Throws<ArgumentOutOfRangeException>(() => clock.Advance(TimeSpan.FromSeconds(-1)));
        t1.Dispose();
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(4, fired.Count);
    }
}
