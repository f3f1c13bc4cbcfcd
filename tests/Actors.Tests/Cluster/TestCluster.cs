using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// N ClusterActors over a SimulatedNetwork on one deterministic dispatcher and virtual clock. Fencing a
/// node crashes it in the network; each host keeps its journal across restarts.
/// </summary>
internal sealed class TestCluster
{
    private readonly HavenTestKit _kit;
    private readonly Dictionary<NodeId, Host> _hosts = [];
    private readonly Func<Member, Haven.Actors.Vms.VmServices?>? _vms;

    public TestCluster(HavenTestKit kit, int nodes, int addressesPerNode = 1, Func<SplitBrainSettings, SplitBrainSettings>? splitBrain = null,
        Func<ClusterOptions, ClusterOptions>? configure = null, Func<Member, Haven.Actors.Vms.VmServices?>? vms = null)
    {
        _kit = kit;
        _vms = vms;
        Network = SimulatedNetwork.WithNodes(nodes, new Random(kit.Seed));
        var sbr = new SplitBrainSettings { Nodes = [.. Network.Nodes.Select(n => n.Id)], StableAfter = TimeSpan.FromSeconds(2) };
        var addresses = Enumerable.Range(1, nodes * addressesPerNode).Select(i => new PublicAddress($"10.0.0.{i}", 24, "eth0")).ToImmutableArray();
        foreach (var member in Network.Nodes)
        {
            var options = new ClusterOptions
            {
                ClusterName = "test",
                Self = member,
                Nodes = Network.Nodes,
                SplitBrain = splitBrain?.Invoke(sbr) ?? sbr,
                PublicAddresses = addresses,
                FenceRetryDelay = TimeSpan.FromSeconds(3),
            };
            _hosts[member.Id] = new Host(this, member, configure?.Invoke(options) ?? options);
        }
    }

    public SimulatedNetwork Network { get; }
    public IEnumerable<Host> Hosts => _hosts.Values.OrderBy(h => h.Member.Id);
    public Host this[uint id] => _hosts[new NodeId(id)];
    public HashSet<NodeId> FenceFailures { get; } = [];

    /// <summary>Hosts no device answers for: their fence fails as impossible (not retried under the same rules).</summary>
    public HashSet<NodeId> FenceImpossible { get; } = [];

    /// <summary>How long each fence takes in virtual time (zero: it completes at once).</summary>
    public TimeSpan FenceTakes { get; set; }

    /// <summary>Heuristic reachability per host (scripted; used when the split-brain settings enable heuristics).</summary>
    public Dictionary<NodeId, bool> Reaches { get; } = [];
    public List<string> Fenced { get; } = [];

    public void StartAll()
    {
        foreach (var h in Hosts) h.Start();
    }

    /// <summary>Delivers messages and runs actors and timers for a span of virtual time.</summary>
    public void Run(TimeSpan span, TimeSpan? step = null)
    {
        var end = _kit.Clock.GetUtcNow() + span;
        var tick = step ?? TimeSpan.FromMilliseconds(50);
        while (_kit.Clock.GetUtcNow() < end)
        {
            Settle();
            _kit.Advance(tick);
        }
        Settle();
    }

    private void Settle()
    {
        for (var i = 0; i < 100_000; i++)
        {
            var work = _kit.RunUntilIdle() > 0;
            work |= Network.DeliverNext();
            if (!work) return;
        }
        throw new InvalidOperationException("the cluster did not settle");
    }

    internal sealed class Host(TestCluster cluster, Member member, ClusterOptions options)
    {
        private ActorSystem? _system;
        private int _incarnation;
        public Member Member { get; } = member;

        /// <summary>Wraps the network's transport of the next start (a test that loses or holds some of the host's messages).</summary>
        public Func<IClusterTransport, IClusterTransport>? WrapTransport { get; set; }

        /// <summary>The options the next start uses.</summary>
        public ClusterOptions Options { get; set; } = options;

        /// <summary>The first view the running incarnation reported: what it recovered from its journal.</summary>
        public ClusterView? RecoveredView { get; private set; }

        public InMemoryJournal Journal { get; } = new();
        public InMemorySnapshotStore Snapshots { get; } = new();
        public ClusterView? View { get; private set; }
        public SortedSet<string> HeldAddresses { get; } = new(StringComparer.Ordinal);

        /// <summary>Every take this host was asked for, in order, and whether it was to probe first (kept across power cycles).</summary>
        public List<(string Ip, bool Probe)> Takes { get; } = [];

        /// <summary>When set, a release takes the address off at once but completes only when this task does (a slow `ip addr del`).</summary>
        public Task? ReleaseGate { get; set; }
        public bool Running => _system is not null;

        /// <summary>The running incarnation's ClusterActor (operator commands go here).</summary>
        public IActorRef? Actor { get; private set; }

        /// <summary>Raised when the host loses power (its VMs are gone).</summary>
        public event Action? PoweredOff;

        public void Start()
        {
            _system = cluster._kit.CreateSystem($"{Member.Name}-{++_incarnation}");
            var services = new PersistenceServices(Journal, Snapshots, new JsonEventSerializer(ClusterManifests.Register(new EventManifestRegistry())));
            IClusterTransport transport = cluster.Network.Transport(Member.Id);
            var deps = new ClusterDependencies(WrapTransport?.Invoke(transport) ?? transport, services, new Fencer(cluster), new Addresses(this),
                new Reachability(cluster, Member.Id), v => { RecoveredView ??= v; View = v; }, new SelfFenceRecorder(SelfFence), cluster._vms?.Invoke(Member),
                new SelfRebootRecorder(Reboots));
            RecoveredView = null;
            Actor = _system.ActorOf(ClusterActor.Props(Options, deps), "cluster");
        }

        /// <summary>The reasons this host was asked to reboot itself (reboot-lone-host), in order; nothing reboots.</summary>
        public List<string> Reboots { get; } = [];

        /// <summary>What the ClusterActor told the watchdog keeper, in order (Alive calls counted, not listed).</summary>
        public SelfFenceLog SelfFence { get; } = new();

        /// <summary>Sends an operator command to this host's ClusterActor and runs the cluster until it answers.</summary>
        public OperatorCommandResult Command(object command)
        {
            var reply = Actor!.Ask<OperatorCommandResult>(command, TimeSpan.FromSeconds(5));
            cluster.Run(TimeSpan.FromMilliseconds(200));
            return reply.IsCompleted ? reply.Result : throw new InvalidOperationException($"no answer to {command}");
        }

        /// <summary>Power off: the node leaves the network, its process and its addresses are gone.</summary>
        public void PowerOff()
        {
            if (!Running) return; // already off
            cluster.Network.Crash(Member.Id);
            _system?.Terminate();
            _system = null;
            View = null;
            Actor = null;
            HeldAddresses.Clear();
            PoweredOff?.Invoke();
        }

        public void PowerOn()
        {
            cluster.Network.Restart(Member.Id);
            Start();
        }

        /// <summary>The replicated events in this host's journal, in order.</summary>
        public IReadOnlyList<IClusterEvent> StreamEvents()
        {
            var serializer = new JsonEventSerializer(ClusterManifests.Register(new EventManifestRegistry()));
            var read = Journal.ReadAsync("cluster", 1, long.MaxValue).ToListAsync().AsTask();
            return read.Result.Select(serializer.Deserialize).OfType<IClusterEvent>().ToList();
        }

        public IReadOnlyList<string> StreamManifests()
        {
            var read = Journal.ReadAsync("cluster", 1, long.MaxValue).ToListAsync().AsTask();
            return read.Result.Select(e => e.Manifest).ToList();
        }
    }

    private sealed class Fencer(TestCluster cluster) : IFencer
    {
        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken)
        {
            if (cluster.FenceTakes <= TimeSpan.Zero) return Task.FromResult(Fence(target));
            var done = new TaskCompletionSource<FenceResult>();
            ITimer? timer = null;
            timer = cluster._kit.Clock.CreateTimer(_ =>
            {
                timer?.Dispose();
                done.TrySetResult(Fence(target));
            }, null, cluster.FenceTakes, Timeout.InfiniteTimeSpan);
            return done.Task;
        }

        private FenceResult Fence(FenceTarget target)
        {
            if (cluster.FenceImpossible.Contains(target.Node)) return new FenceResult(false, "test-pdu", "no device for this host", Impossible: true);
            if (cluster.FenceFailures.Contains(target.Node)) return new FenceResult(false, "test-pdu", "device did not answer");
            cluster.Fenced.Add(target.Name);
            cluster._hosts[target.Node].PowerOff();
            return new FenceResult(true, "test-pdu", "off");
        }
    }

    private sealed class Reachability(TestCluster cluster, NodeId node) : IReachability
    {
        public Task<bool> AllReachableAsync(CancellationToken cancellationToken) =>
            Task.FromResult(cluster.Reaches.GetValueOrDefault(node, true));
    }

    private sealed class Addresses(Host host) : IAddressManager
    {
        public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken)
        {
            host.Takes.Add((address.Ip, probe));
            host.HeldAddresses.Add(address.Ip);
            return Task.CompletedTask;
        }

        public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken)
        {
            host.HeldAddresses.Remove(address.Ip);
            return host.ReleaseGate ?? Task.CompletedTask;
        }
    }

    internal sealed class SelfFenceLog
    {
        public List<string> Calls { get; } = [];
        public int Alive { get; set; }
    }

    private sealed class SelfRebootRecorder(List<string> reasons) : Haven.Actors.Fencing.ISelfReboot
    {
        public Task RebootAsync(string reason, CancellationToken cancellationToken)
        {
            reasons.Add(reason);
            return Task.CompletedTask;
        }
    }

    private sealed class SelfFenceRecorder(SelfFenceLog log) : ISelfFence
    {
        public void Alive() => log.Alive++;
        public void Demoting() => log.Calls.Add("demoting");
        public void Demoted() => log.Calls.Add("demoted");
        public void Primary() => log.Calls.Add("primary");
    }
}
