using System.Collections.Immutable;
using Haven.Actors;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.Placement;
using Haven.Actors.SplitBrain;
using Haven.Actors.Vms;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Host.Demo;

/// <summary>
/// A narrated three-host cluster in one process: real ClusterActors with SQLite journals, over the
/// simulated network, on one deterministic dispatcher and virtual clock (so it runs in a second and
/// tells the same story every time). The "fence device" powers a host off in the simulation. Each host
/// runs the demo's HA VMs on its own <see cref="DemoHypervisor"/>.
/// </summary>
internal sealed class ClusterDemo : IAsyncDisposable
{
    private readonly TextWriter _out;
    private readonly DeterministicDispatcher _dispatcher = new();
    private readonly VirtualClock _clock;
    private readonly DateTimeOffset _start;
    private readonly SimulatedNetwork _network;
    private readonly SortedDictionary<NodeId, DemoHost> _hosts = new();

    private ClusterDemo(TextWriter output)
    {
        _out = output;
        _clock = new VirtualClock(dispatcher: _dispatcher);
        _start = _clock.GetUtcNow();
        _network = new SimulatedNetwork([new Member(new NodeId(1), "n1"), new Member(new NodeId(2), "n2"), new Member(new NodeId(3), "n3")], new Random(7));
    }

    public static async Task<ClusterDemo> CreateAsync(string directory, TextWriter output)
    {
        var demo = new ClusterDemo(output);
        var nodes = demo._network.Nodes;
        var addresses = Enumerable.Range(1, 3).Select(i => new PublicAddress($"192.0.2.{10 + i}", 24, "eth0")).ToImmutableArray();
        foreach (var member in nodes)
        {
            var path = Path.Combine(directory, $"{member.Name}.db");
            await SqliteSchema.MigrateAsync(path);
            var journal = await SqliteJournal.OpenAsync(path);
            var snapshots = await SqliteSnapshotStore.OpenAsync(path);
            var options = new ClusterOptions
            {
                ClusterName = "demo",
                Self = member,
                Nodes = nodes,
                // no-quorum-policy freeze: the cut-off host keeps its VMs running, so the story shows the fence (not the host's own
                // stop under Haven's default, stop) ending them before they start elsewhere
                SplitBrain = new SplitBrainSettings { Nodes = [.. nodes.Select(n => n.Id)], StableAfter = TimeSpan.FromSeconds(2), NoQuorumPolicy = NoQuorumPolicy.Freeze },
                PublicAddresses = addresses,
            };
            demo._hosts[member.Id] = new DemoHost(demo, member, options, path, journal, snapshots);
        }
        return demo;
    }

    /// <summary>What each host's VM side is given: the demo VMs, placed with some stickiness (no failback).</summary>
    public static VmServices VmServicesFor(IHypervisor hypervisor) => new(new Dictionary<string, IHypervisor> { [hypervisor.Kind] = hypervisor })
    {
        Configured = DemoHypervisor.Vms,
        Placement = PlacementOptions.Default with { ResourceStickiness = 100 },
        Policy = new VmPolicy { MonitorInterval = TimeSpan.FromSeconds(2) },
    };

    /// <summary>Every start any hypervisor made, in order: (VM, host).</summary>
    public List<(string Vm, string Host)> Starts { get; } = [];

    /// <summary>Safety violations seen by the hypervisors (a VM started while it ran elsewhere).</summary>
    public List<string> Violations { get; } = [];

    public void Violation(string what)
    {
        Violations.Add(what);
        Say($"VIOLATION: {what}");
    }

    /// <summary>The hosts (powered on or not) whose hypervisors run <paramref name="vm"/>.</summary>
    public IEnumerable<string> RunningOn(string vm) => _hosts.Values.Where(h => h.Domains.Contains(vm)).Select(h => h.Member.Name);

    public DemoHost this[int id] => _hosts[new NodeId((uint)id)];

    public SimulatedNetwork Network => _network;

    public string Now => $"t+{(_clock.GetUtcNow() - _start).TotalSeconds,5:0.0}s";

    public void Say(string line) => _out.WriteLine($"  [{Now}] {line}");

    public void StartAll()
    {
        foreach (var h in _hosts.Values) h.Start();
    }

    /// <summary>Runs the cluster for a span of virtual time: network deliveries, actors and timers.</summary>
    public void Run(TimeSpan span)
    {
        var end = _clock.GetUtcNow() + span;
        while (_clock.GetUtcNow() < end)
        {
            Settle();
            _clock.Advance(TimeSpan.FromMilliseconds(100));
        }
        Settle();
    }

    private void Settle()
    {
        for (var i = 0; i < 1_000_000; i++)
        {
            var work = _dispatcher.RunUntilIdle() > 0;
            work |= _network.DeliverNext();
            if (!work) return;
        }
        throw new InvalidOperationException("the demo cluster did not settle");
    }

    public IEnumerable<DemoHost> Hosts => _hosts.Values;

    public async ValueTask DisposeAsync()
    {
        foreach (var h in _hosts.Values) await h.DisposeAsync();
    }

    internal sealed class DemoHost(ClusterDemo demo, Member member, ClusterOptions options, string path, SqliteJournal journal, SqliteSnapshotStore snapshots)
        : IAsyncDisposable
    {
        private ActorSystem? _system;
        private int _incarnation;
        private PartitionRole? _lastRole;
        public Member Member { get; } = member;
        public string JournalPath { get; } = path;
        public ClusterView? View { get; private set; }
        public SortedSet<string> Addresses { get; } = new(StringComparer.Ordinal);

        /// <summary>The VMs this host's hypervisor runs; they vanish when it is powered off.</summary>
        public SortedSet<string> Domains { get; } = new(StringComparer.Ordinal);

        public VmServices? Vms { get; private set; }
        public bool Running => _system is not null;

        public bool IsIncarnation(int incarnation) => _system is not null && incarnation == _incarnation;

        public void Start()
        {
            _system = ActorSystem.Create($"{Member.Name}-{++_incarnation}", ActorSystemSettings.Deterministic(demo._dispatcher, demo._clock, 7 + (int)Member.Id.Value));
            var services = new PersistenceServices(new SynchronousJournal(journal), new SynchronousSnapshotStore(snapshots), new JsonEventSerializer(HavenManifests.CreateRegistry()));
            Vms = VmServicesFor(new DemoHypervisor(demo, this, _incarnation));
            var deps = new ClusterDependencies(demo._network.Transport(Member.Id), services, new DemoFencer(demo), new DemoAddresses(this), Observer: Observe, Vms: Vms);
            _system.ActorOf(ClusterActor.Props(options, deps), "cluster");
        }

        private void Observe(ClusterView view)
        {
            View = view;
            if (view.Role == _lastRole || view.Members.IsEmpty) return;
            _lastRole = view.Role;
            demo.Say(view.Role switch
            {
                PartitionRole.Primary => $"{Member.Name}: member of the primary partition {{{string.Join(",", view.Members.Select(m => m.Name))}}}, DC {NameOf(view.Dc)}",
                PartitionRole.Minority => $"{Member.Name}: its side LOST the split-brain decision -> demoted: releases its addresses, decides nothing",
                _ => $"{Member.Name}: membership changed to {{{string.Join(",", view.Members.Select(m => m.Name))}}}; waiting for stable-after (2 s) before deciding",
            });
        }

        private string NameOf(NodeId? id) => id is { } n ? options.Nodes.First(m => m.Id == n).Name : "none";

        public void PowerOff()
        {
            if (_system is null) return; // already off
            demo._network.Crash(Member.Id);
            _system.Terminate();
            _system = null;
            _lastRole = null;
            View = null;
            Addresses.Clear();
            Domains.Clear();
        }

        public void PowerOn()
        {
            demo._network.Restart(Member.Id);
            Start();
        }

        public async Task<List<JournalEntry>> ReplicatedAsync() =>
            await journal.ReadAsync("cluster", 1, long.MaxValue).ToListAsync();

        public async ValueTask DisposeAsync()
        {
            _system?.Terminate();
            await snapshots.DisposeAsync();
            await journal.DisposeAsync();
        }
    }

    /// <summary>The demo's fence device: powers the host off in the simulation, then reads back "off".</summary>
    private sealed class DemoFencer(ClusterDemo demo) : IFencer
    {
        public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken)
        {
            var host = demo._hosts[target.Node];
            var vms = host.Domains.ToList();
            if (vms.Count > 0)
            {
                var twice = vms.Where(v => demo.RunningOn(v).Count() > 1).ToList();
                if (twice.Count == 0) demo.Say($"before the fence: {string.Join(", ", vms)} still run only on {target.Name}; nothing of it was started elsewhere");
                else demo.Violation($"before the fence, {string.Join(", ", twice)} already run elsewhere too");
            }
            demo.Say($"fence device: powering {target.Name} off ({target.Reason})");
            host.PowerOff();
            demo.Say($"fence device: {target.Name} reads back as OFF{(vms.Count > 0 ? $"; its VMs {string.Join(", ", vms)} went down with it" : "")}");
            return Task.FromResult(new FenceResult(true, "demo-pdu", "off"));
        }
    }

    private sealed class DemoAddresses(DemoHost host) : IAddressManager
    {
        public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken)
        {
            host.Addresses.Add(address.Ip);
            return Task.CompletedTask;
        }

        public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken)
        {
            host.Addresses.Remove(address.Ip);
            return Task.CompletedTask;
        }
    }
}
