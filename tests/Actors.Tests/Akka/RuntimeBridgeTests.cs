using Akka.Actor;
using Haven.Actors.Akka;
using H = Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Akka;

/// <summary>
/// Two runtimes on one loop (docs/akka.md): Haven's own actors on <see cref="LoopDispatcher"/> and Akka actors on the
/// <see cref="SimLoop"/>, one seeded interleaving and one virtual timeline, with refs bridged both ways.
/// </summary>
public sealed class RuntimeBridgeTests : IDisposable
{
    private readonly SimHosts _hosts;

    public RuntimeBridgeTests() => _hosts = Hosts(5);

    private static SimHosts Hosts(int seed) => new($"bridge-{Guid.NewGuid():N}", seed, ["akka0", "akka1"]);

    private SimLoop Loop => _hosts.Loop;

    public void Dispose() => _hosts.Dispose();

    private static H.ActorSystem HavenSystem(SimHosts hosts, string name, int seed) =>
        H.ActorSystem.Create(name, new H.ActorSystemSettings
        {
            Dispatcher = new LoopDispatcher(hosts.Loop),
            TimeProvider = hosts.Loop.Clock.TimeProvider,
            Random = new Random(seed),
        });

    private sealed record Ping(int N);

    private sealed record Pong(int N);

    private sealed record Tick;

    /// <summary>Akka: answers every Ping to its sender.</summary>
    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<Ping>(p => Sender.Tell(new Pong(p.N)));
    }

    /// <summary>Haven: every 100 ms (its own runtime's timer) pings the Akka actor and notes when each Pong came.</summary>
    private sealed class Asker : H.Actor
    {
        private int _next;

        public Asker(H.IActorRef echo, List<(int N, TimeSpan At)> pongs, SimLoop loop)
        {
            Receive<Tick>(_ => echo.Tell(new Ping(++_next), Self));
            Receive<Pong>(p => pongs.Add((p.N, loop.Clock.Now)));
            Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(100));
        }
    }

    [Fact]
    public void HavenActor_PingsAkkaActor_OnItsVirtualTimer_AndIsAnsweredThroughSender()
    {
        var echo = _hosts.Systems[0].ActorOf(Props.Create(() => new Echo()), "echo");
        var pongs = new List<(int N, TimeSpan At)>();
        var haven = HavenSystem(_hosts, "h0", 1);
        haven.ActorOf(H.Props.Create(() => new Asker(RuntimeBridge.ToHaven(echo), pongs, Loop)), "asker");

        Loop.RunFor(TimeSpan.FromMilliseconds(1_000));

        Assert.Equal(Enumerable.Range(1, 10), pongs.Select(p => p.N));
        // The Haven runtime's timer ran on the loop's clock: each answer came in the instant of its tick.
        Assert.Equal(Enumerable.Range(1, 10).Select(i => TimeSpan.FromMilliseconds(100 * i)), pongs.Select(p => p.At));
        Assert.Empty(Loop.Escapes);
    }

    /// <summary>Haven: answers "q" with 42 to its sender.</summary>
    private sealed class Answerer : H.Actor
    {
        public Answerer() => Receive<string>(_ => Sender.Tell(42, Self));
    }

    /// <summary>Akka: asks the Haven actor on "go" and keeps the answer and who gave it.</summary>
    private sealed class Client : ReceiveActor
    {
        public Client(IActorRef answerer, List<(int Answer, string From)> answers)
        {
            Receive<string>(m => m == "go", _ => answerer.Tell("q"));
            Receive<int>(n => answers.Add((n, Sender.Path.ToString())));
        }
    }

    [Fact]
    public void AkkaActor_TellsHavenActor_AndTheReplyComesBackFromIt()
    {
        var haven = HavenSystem(_hosts, "h0", 1);
        var answerer = haven.ActorOf(H.Props.Create(() => new Answerer()), "answerer");
        var answers = new List<(int, string)>();
        var akka = _hosts.Systems[1];
        var client = akka.ActorOf(Props.Create(() => new Client(RuntimeBridge.ToAkka(answerer, akka), answers)), "client");

        client.Tell("go");
        Loop.RunUntilIdle();

        Assert.Equal([(42, "akka://akka1/haven/h0/user/answerer")], answers);
        Assert.Empty(Loop.Escapes);
    }

    [Fact]
    public void ARefBridgedBack_IsTheOriginalRef()
    {
        var echo = _hosts.Systems[0].ActorOf(Props.Create(() => new Echo()), "echo");
        var answerer = HavenSystem(_hosts, "h0", 1).ActorOf(H.Props.Create(() => new Answerer()), "answerer");

        Assert.Same(echo, RuntimeBridge.ToAkka(RuntimeBridge.ToHaven(echo), _hosts.Systems[0]));
        Assert.Same(answerer, RuntimeBridge.ToHaven(RuntimeBridge.ToAkka(answerer, _hosts.Systems[1])));
        Assert.Equal("haven://akka.akka0/user/echo", RuntimeBridge.ToHaven(echo).Path.ToString());
        // Two bridges of one actor are one ref (equality is the target's).
        Assert.Equal(RuntimeBridge.ToHaven(echo), RuntimeBridge.ToHaven(echo));
    }

    /// <summary>Haven or Akka alike: on each Ping, passes it on to the next peer until its count runs out, and notes the hop.</summary>
    private sealed class HavenRelay : H.Actor
    {
        public HavenRelay(string name, Func<IReadOnlyList<H.IActorRef>> peers, List<string> hops)
        {
            Receive<Ping>(p =>
            {
                hops.Add($"{name}:{p.N}");
                if (p.N > 0) peers()[p.N % peers().Count].Tell(new Ping(p.N - 1), Self);
            });
        }
    }

    private sealed class AkkaRelay : ReceiveActor
    {
        public AkkaRelay(string name, Func<IReadOnlyList<IActorRef>> peers, List<string> hops)
        {
            Receive<Ping>(p =>
            {
                hops.Add($"{name}:{p.N}");
                if (p.N > 0) peers()[p.N % peers().Count].Tell(new Ping(p.N - 1));
            });
        }
    }

    /// <summary>Three Haven and three Akka relays, each started with its own chain of pings: the hops interleave as the seed picks.</summary>
    private static (string Hops, string Trace) Mixed(int seed)
    {
        using var hosts = Hosts(seed);
        var hops = new List<string>();
        var haven = HavenSystem(hosts, "h0", seed);
        var akka = hosts.Systems[0];
        var havenRelays = new List<H.IActorRef>();
        var akkaRelays = new List<IActorRef>();
        Func<IReadOnlyList<H.IActorRef>> forHaven = () => [.. havenRelays, .. akkaRelays.Select(RuntimeBridge.ToHaven)];
        Func<IReadOnlyList<IActorRef>> forAkka = () => [.. akkaRelays, .. havenRelays.Select(h => RuntimeBridge.ToAkka(h, akka))];
        for (var i = 0; i < 3; i++)
        {
            var name = $"h{i}";
            havenRelays.Add(haven.ActorOf(H.Props.Create(() => new HavenRelay(name, forHaven, hops)), name));
        }
        for (var i = 0; i < 3; i++)
        {
            var name = $"a{i}";
            akkaRelays.Add(akka.ActorOf(Props.Create(() => new AkkaRelay(name, forAkka, hops)), name));
        }
        for (var i = 0; i < 3; i++)
        {
            havenRelays[i].Tell(new Ping(20 + i), null);
            akkaRelays[i].Tell(new Ping(20 + i));
        }
        hosts.Loop.RunUntilIdle();
        Assert.Empty(hosts.Loop.Escapes);
        Assert.Equal(2 * (21 + 22 + 23), hops.Count); // every chain ran to its end
        return (string.Join(" ", hops), hosts.Loop.Trace.Text);
    }

    [Fact]
    public void HavenAndAkkaTurns_InterleaveAsTheSeedPicks_SameSeedSameRun()
    {
        var first = Mixed(11);
        var again = Mixed(11);
        Assert.Equal(first.Hops, again.Hops);
        Assert.Equal(first.Trace, again.Trace);
        Assert.Contains("haven:haven://h0/user/h1", first.Trace); // Haven mailboxes are picked by their key, like Akka's
        var others = Enumerable.Range(12, 4).Select(s => Mixed(s).Hops).ToList();
        Assert.True(others.Append(first.Hops).Distinct().Count() > 1, "five seeds gave one interleaving");
    }

    [Fact]
    public void HavenTell_FromAnotherThread_WhileStepped_IsAnEscape()
    {
        var answerer = HavenSystem(_hosts, "h0", 1).ActorOf(H.Props.Create(() => new Answerer()), "answerer");
        Loop.RunUntilIdle();

        var foreign = new Thread(() => answerer.Tell("q", null));
        foreign.Start();
        foreign.Join();

        var escape = Assert.Throws<SimEscapeException>(() => Loop.Step());
        Assert.Contains("haven:haven://h0/user/answerer", escape.Message);
    }
}
