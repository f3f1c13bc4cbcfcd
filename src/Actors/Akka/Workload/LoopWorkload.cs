using Akka.Actor;
using Akka.Persistence;

namespace Haven.Actors.Akka.Workload;

/// <summary>
/// A small multi-host workload that uses every Akka feature the port relies on — ReceiveActor children,
/// Watch/Terminated with new incarnations, IWithTimers, supervision restarts, a ReceivePersistentActor with
/// Persist/PersistAll/snapshots that is crashed and recovers, and Tells across ActorSystems — and writes what
/// happens into the loop's trace. The determinism tests and the <c>akka-loop</c> bench run it.
/// </summary>
public static class LoopWorkload
{
    /// <summary>One seed on <paramref name="hosts"/> (reset first): half the duration, a crash of host 1 (its
    /// storage kept), the other half, then every ledger's state. Returns the trace text.</summary>
    public static string Run(SimHosts hosts, int seed, TimeSpan duration, int workers = 3)
    {
        hosts.Reset(seed);
        var loop = hosts.Loop;
        var roots = hosts.Systems.Select((s, h) => Spawn(s, h, workers, seed, loop.Trace)).ToArray();
        foreach (var root in roots) root.Tell(new Peers(roots));
        loop.RunFor(duration / 2);
        var crashed = 1 % roots.Length;
        loop.Trace.Add($"driver: crash host{crashed}");
        hosts.Crash(crashed);
        roots[crashed] = Spawn(hosts.Systems[crashed], crashed, workers, seed, loop.Trace);
        foreach (var root in roots) root.Tell(new Peers(roots));
        loop.RunFor(duration / 2);
        var asks = roots.Select(r => r.Ask<LedgerState>(new GetLedger())).ToArray();
        if (!loop.RunUntil(() => asks.All(a => a.IsCompleted), TimeSpan.FromSeconds(1)))
            throw new InvalidOperationException($"seed {seed}: ledgers did not answer");
        foreach (var state in asks.Select(a => a.Result)) loop.Trace.Add($"driver: final {state}");
        return loop.Trace.Text;
    }

    private static IActorRef Spawn(ActorSystem system, int host, int workers, int seed, SimTrace trace) =>
        system.ActorOf(Props.Create(() => new HostRoot(host, workers, seed, trace)), "root");
}

public sealed record Peers(IReadOnlyList<IActorRef> Roots);

public sealed record Work(int N, int From);

public sealed record Done(int N);

public sealed record GetLedger;

public sealed record LedgerState(int Host, long SequenceNr, long Sum, long Events);

internal sealed record Tick;

internal sealed record CrashLedger;

/// <summary>Per host: W workers it watches and respawns, a ledger it crashes every 370 ms, a 20 ms tick that sends work to a random host.</summary>
internal sealed class HostRoot : ReceiveActor, IWithTimers
{
    private readonly int _host;
    private readonly SimTrace _trace;
    private readonly Random _random;
    private readonly IActorRef[] _workers;
    private readonly int[] _generation;
    private IReadOnlyList<IActorRef> _peers = [];
    private IActorRef _ledger = ActorRefs.Nobody;
    private int _ledgerGeneration;
    private int _sent;

    public ITimerScheduler Timers { get; set; } = null!;

    public HostRoot(int host, int workers, int seed, SimTrace trace)
    {
        _host = host;
        _trace = trace;
        _random = new Random(unchecked(seed * 7919 + host));
        _workers = new IActorRef[workers];
        _generation = new int[workers];
        Receive<Peers>(p => _peers = p.Roots);
        Receive<Tick>(_ => SendWork());
        Receive<Work>(w => _workers[w.N % _workers.Length].Forward(w));
        Receive<Done>(d => _ledger.Tell(new Entry(d.N)));
        Receive<CrashLedger>(_ =>
        {
            _trace.Add($"host{_host}: stop {_ledger.Path.Name}");
            Context.Stop(_ledger);
        });
        Receive<GetLedger>(g => _ledger.Forward(g));
        Receive<Terminated>(OnTerminated);
    }

    protected override void PreStart()
    {
        for (var i = 0; i < _workers.Length; i++) StartWorker(i);
        StartLedger();
        Timers.StartPeriodicTimer("tick", new Tick(), TimeSpan.FromMilliseconds(20));
        Timers.StartPeriodicTimer("crash-ledger", new CrashLedger(), TimeSpan.FromMilliseconds(370));
    }

    protected override SupervisorStrategy SupervisorStrategy() =>
        // No retry window: Akka counts it on the real MonotonicClock.
        new OneForOneStrategy(e => e is WorkFailed ? Directive.Restart : Directive.Stop);

    private void StartWorker(int i)
    {
        _workers[i] = Context.Watch(Context.ActorOf(Props.Create(() => new Worker(_host, _trace)), $"w{i}-{_generation[i]}"));
    }

    private void StartLedger()
    {
        _ledger = Context.Watch(Context.ActorOf(Props.Create(() => new Ledger(_host, _trace)), $"ledger-{_ledgerGeneration++}"));
    }

    private void SendWork()
    {
        if (_peers.Count == 0) return;
        var to = _random.Next(_peers.Count);
        _peers[to].Tell(new Work(++_sent * 10 + _host, _host), Self);
    }

    private void OnTerminated(Terminated t)
    {
        _trace.Add($"host{_host}: terminated {t.ActorRef.Path.Name}");
        if (t.ActorRef.Equals(_ledger))
        {
            StartLedger();
            return;
        }
        var i = Array.IndexOf(_workers, t.ActorRef);
        if (i < 0) return;
        _generation[i]++;
        StartWorker(i);
    }
}

internal sealed class WorkFailed(int n) : Exception($"work {n} failed");

/// <summary>Fails on every 13th item (restarted), stops itself on every 17th (respawned), otherwise reports done.</summary>
internal sealed class Worker : ReceiveActor
{
    private readonly int _host;
    private readonly SimTrace _trace;
    private int _handled;

    public Worker(int host, SimTrace trace)
    {
        _host = host;
        _trace = trace;
        Receive<Work>(w =>
        {
            _handled++;
            if (w.N % 13 == 0) throw new WorkFailed(w.N);
            if (w.N % 17 == 0)
            {
                _trace.Add($"host{_host}: {Self.Path.Name} stops on {w.N}");
                Context.Stop(Self);
                return;
            }
            _trace.Add($"host{_host}: {Self.Path.Name} did {w.N} from host{w.From} ({_handled} since start)");
            Context.Parent.Tell(new Done(w.N));
        });
    }

    protected override void PreRestart(Exception reason, object message)
    {
        _trace.Add($"host{_host}: {Self.Path.Name} restarts after {reason.Message}");
        base.PreRestart(reason, message);
    }
}

internal sealed record Entry(int N);

internal sealed record LedgerSnapshot(long Sum, long Events);

/// <summary>Persists each entry (every 5th as a PersistAll of two), snapshots every 25 events, reports its recovery.</summary>
internal sealed class Ledger : ReceivePersistentActor
{
    private readonly int _host;
    private readonly SimTrace _trace;
    private long _sum;
    private long _events;

    public Ledger(int host, SimTrace trace)
    {
        _host = host;
        _trace = trace;
        PersistenceId = $"ledger-{host}";
        Recover<SnapshotOffer>(o =>
        {
            var s = (LedgerSnapshot)o.Snapshot;
            (_sum, _events) = (s.Sum, s.Events);
        });
        Recover<int>(Apply);
        Recover<RecoveryCompleted>(_ => _trace.Add($"host{_host}: {Self.Path.Name} recovered seq {LastSequenceNr} sum {_sum}"));
        Command<Entry>(e =>
        {
            if (e.N % 5 == 0) PersistAll([e.N, -e.N / 5], Persisted);
            else Persist(e.N, Persisted);
        });
        Command<GetLedger>(_ => Sender.Tell(new LedgerState(_host, LastSequenceNr, _sum, _events)));
        Command<SaveSnapshotSuccess>(s => _trace.Add($"host{_host}: snapshot at {s.Metadata.SequenceNr}"));
    }

    public override string PersistenceId { get; }

    private void Apply(int n)
    {
        _sum += n;
        _events++;
    }

    private void Persisted(int n)
    {
        Apply(n);
        if (_events % 25 == 0) SaveSnapshot(new LedgerSnapshot(_sum, _events));
    }
}
