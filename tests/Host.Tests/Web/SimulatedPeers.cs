using System.Collections.Concurrent;
using System.Collections.Immutable;
using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;
using Haven.Host.Daemon;
using Haven.Host.Demo;
using Haven.TestKit;

namespace Haven.Host.Tests.Web;

/// <summary>
/// A three-host cluster around one real in-process daemon (n1): n2 and n3 are ClusterActors in this process with in-memory
/// journals, all three on one <see cref="SimulatedNetwork"/> in real time, which a pump thread delivers under one lock. Every
/// host runs the demo's four HA VMs (<see cref="DemoHypervisor.Vms"/>) on an in-memory hypervisor and holds its addresses in
/// memory: nothing touches a real interface, and nothing leaves the process.
/// </summary>
internal sealed class SimulatedPeers : IAsyncDisposable
{
    public static readonly ImmutableArray<Member> Nodes = [new(new NodeId(1), "n1"), new(new NodeId(2), "n2"), new(new NodeId(3), "n3")];

    private readonly Lock _gate = new();
    private readonly SimulatedNetwork _network = new(Nodes, new Random(7));
    private readonly AutoResetEvent _work = new(false);
    private readonly Thread _pump;
    private readonly List<ActorSystem> _systems = [];
    private volatile bool _stopping;

    public SimulatedPeers()
    {
        _pump = new Thread(Pump) { IsBackground = true, Name = "simulated-network" };
        _pump.Start();
    }

    /// <summary>The addresses each host holds now (in memory), by node name.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> Held { get; } = new();

    /// <summary>The VMs each host's hypervisor runs now, by node name.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> Running { get; } = new();

    /// <summary>Config lines for n1's daemon: the three nodes, the addresses (on lo: its link check passes), a pool fence for all.</summary>
    public static string ClusterConfig => """
        cluster { name = lab, node-name = n1, transport = simulated, nodes = [{ name = n1, id = 1 }, { name = n2, id = 2 }, { name = n3, id = 3 }] }
        ips.public-addresses = [
          { address = "192.0.2.11/24", interface = lo }, { address = "192.0.2.12/24", interface = lo }, { address = "192.0.2.13/24", interface = lo }
        ]
        """;

    /// <summary>Changes n2's and n3's options (taken from the daemon's) before they start: e.g. a host file of their own.</summary>
    public Func<ClusterOptions, ClusterOptions>? PeerOptions { get; init; }

    /// <summary>The daemon's side: its transport on this network (starting n2 and n3 with its own options), memory addresses and hypervisor.</summary>
    public DaemonOverrides Overrides => new()
    {
        Transport = options =>
        {
            foreach (var peer in Nodes.Where(n => n.Id != options.Self.Id))
                StartPeer(PeerOptions?.Invoke(options with { Self = peer }) ?? options with { Self = peer });
            return new LockedTransport(this, _network.Transport(options.Self.Id));
        },
        Addresses = new MemoryAddresses(Held.GetOrAdd("n1", _ => new())),
        Vms = vms => WithDemoVms(vms, "n1"),
    };

    /// <summary>Cuts the host off from the others (both sides see the membership change).</summary>
    public void Isolate(string node)
    {
        var id = Nodes.Single(n => n.Name == node).Id;
        lock (_gate) _network.Partition(Nodes.Where(n => n.Id != id).Select(n => n.Id), [id]);
        _work.Set();
    }

    private VmServices WithDemoVms(VmServices vms, string node) =>
        new(new Dictionary<string, IHypervisor> { [DemoHypervisor.KindName] = new MemoryHypervisor(Running.GetOrAdd(node, _ => new())) })
        {
            Configured = DemoHypervisor.Vms,
            Policy = vms.Policy with { MonitorInterval = TimeSpan.FromSeconds(1) },
            Placement = vms.Placement with { ResourceStickiness = 100 },
        };

    private void StartPeer(ClusterOptions options)
    {
        var name = options.Self.Name;
        var system = ActorSystem.Create($"peer-{name}", new ActorSystemSettings());
        _systems.Add(system);
        var persistence = new PersistenceServices(new InMemoryJournal(), new InMemorySnapshotStore(), new JsonEventSerializer(HavenManifests.CreateRegistry()));
        // NoFencer: n2 and n3 are never the DC here (n1 has the lowest id), so they never fence.
        var deps = new ClusterDependencies(new LockedTransport(this, _network.Transport(options.Self.Id)), persistence, new NoFencer(),
            new MemoryAddresses(Held.GetOrAdd(name, _ => new())), Vms: WithDemoVms(new VmServices(new Dictionary<string, IHypervisor>()), name));
        system.ActorOf(ClusterActor.Props(options, deps), "cluster");
    }

    private void Pump()
    {
        while (!_stopping)
        {
            bool delivered;
            lock (_gate) delivered = _network.DeliverNext();
            if (!delivered) _work.WaitOne(TimeSpan.FromMilliseconds(50));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var system in _systems) await system.Terminate();
        _stopping = true;
        _work.Set();
        _pump.Join();
        _work.Dispose();
    }

    /// <summary>A host's transport on the shared network: every call under the network's lock, and the pump woken after it.</summary>
    private sealed class LockedTransport : IClusterTransport
    {
        private readonly SimulatedPeers _peers;
        private readonly IClusterTransport _inner;

        public LockedTransport(SimulatedPeers peers, IClusterTransport inner)
        {
            _peers = peers;
            _inner = inner;
            inner.Delivered += (n, b) => Delivered?.Invoke(n, b);
            inner.MembershipChanged += m => MembershipChanged?.Invoke(m);
            inner.QuorumChanged += q => QuorumChanged?.Invoke(q);
        }

        public NodeId LocalNode => _inner.LocalNode;

        public event Action<NodeId, byte[]>? Delivered;
        public event Action<MembershipChanged>? MembershipChanged;
        public event Action<QuorumChanged>? QuorumChanged;

        public Task JoinAsync(string group, CancellationToken cancellationToken = default) => Locked(() => _inner.JoinAsync(group, cancellationToken));

        public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) => Locked(() => _inner.MulticastAsync(payload, cancellationToken));

        public Task LeaveAsync(CancellationToken cancellationToken = default) => Locked(() => _inner.LeaveAsync(cancellationToken));

        private Task Locked(Func<Task> call)
        {
            Task task;
            lock (_peers._gate) task = call();
            _peers._work.Set();
            return task;
        }
    }

    private sealed class MemoryAddresses(ConcurrentDictionary<string, bool> held) : IAddressManager
    {
        public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken)
        {
            held[address.Ip] = true;
            return Task.CompletedTask;
        }

        public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken)
        {
            held.TryRemove(address.Ip, out _);
            return Task.CompletedTask;
        }
    }

    /// <summary>Starts and stops at once; the kind the demo's VMs name.</summary>
    private sealed class MemoryHypervisor(ConcurrentDictionary<string, bool> running) : IHypervisor
    {
        public string Kind => DemoHypervisor.KindName;

        public bool SupportsLiveMigration => false;

        public Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken) =>
            Task.FromResult(new VmStatus(running.ContainsKey(vm.Name) ? VmPowerState.Running : VmPowerState.Stopped));

        public Task StartAsync(VmDefinition vm, CancellationToken cancellationToken) => Set(vm, true);

        public Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken) => Set(vm, false);

        public Task KillAsync(VmDefinition vm, CancellationToken cancellationToken) => Set(vm, false);

        public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken) =>
            Task.FromException(new HypervisorException("no live migration here"));

        private Task Set(VmDefinition vm, bool on)
        {
            if (on) running[vm.Name] = true;
            else running.TryRemove(vm.Name, out _);
            return Task.CompletedTask;
        }
    }
}
