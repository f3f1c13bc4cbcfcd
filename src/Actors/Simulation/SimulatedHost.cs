using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.Vms;

namespace Haven.Actors.Simulation;

/// <summary>
/// One simulated host: its disk (journal and snapshots, kept across restarts), its power and process
/// state, its scripted heuristics and fence-failure switches, and the current incarnation of its actor
/// system. Everything a dead incarnation hands out (transport, journal, fencer, address manager,
/// observer) goes quiet when it dies: a powered-off host writes nothing and sends nothing.
/// </summary>
internal sealed class SimulatedHost(Member member, SimulatedTransport transport)
{
    public const string StreamPersistenceId = "cluster";

    public Member Member { get; } = member;
    public NodeId Id => Member.Id;
    public SimulatedTransport NetworkTransport { get; } = transport;
    public InMemoryJournal Journal { get; } = new();
    public InMemorySnapshotStore Snapshots { get; } = new();

    public bool Powered { get; set; } = true;
    public bool Running { get; private set; }
    public int Incarnation { get; private set; }
    public int Side { get; set; }
    public bool Reachable { get; set; } = true;
    public bool FenceFails { get; set; }

    /// <summary>The fence device confirms this host off only this long after the request (late-fence fault).</summary>
    public TimeSpan? FenceLate { get; set; }

    /// <summary>The fence device powers this host off but reports failure (late-fence fault).</summary>
    public bool FenceLies { get; set; }

    /// <summary>The host's clock (slow timers, hangs); set by the harness before the first start.</summary>
    public HostClock? Clock { get; set; }

    /// <summary>The daemon hangs: in the membership, but it receives and fires nothing until it resumes.</summary>
    public bool Hung => Running && Clock is { Hung: true };

    /// <summary>An operator told this incarnation to leave the cluster (`haven cluster leave`).</summary>
    public bool LeaveSent { get; set; }

    /// <summary>This incarnation left the group after a leave: it stays out until its daemon restarts.</summary>
    public bool HasLeft => Running && LeaveSent && Transport is { Joined: false };
    public ActorSystem? System { get; private set; }
    public GatedTransport? Transport { get; private set; }
    public ClusterView? LastView { get; set; }

    /// <summary>The domains its hypervisor runs: kept when the Haven process dies, lost with power.</summary>
    public Dictionary<string, Haven.Actors.Vms.VmStatus> Domains { get; } = new(StringComparer.Ordinal);

    /// <summary>The current incarnation's ClusterActor (operator commands are sent here).</summary>
    public IActorRef? Cluster { get; set; }

    /// <summary>The journaled stream as read so far, and the audit state after it.</summary>
    public StreamObservation Stream { get; } = new();
    public ClusterState AuditState { get; set; } = ClusterState.Empty;
    public long ReadUpTo { get; set; }

    /// <summary>The digests of the journaled stream as read so far (the whole history: the audit never drops it).</summary>
    public ReplicatedStream Chain { get; } = new();

    /// <summary>The audit is reading this host's journal now.</summary>
    public bool Reading { get; set; }

    /// <summary>Called before journal entries are deleted: the audit reads them first.</summary>
    public Action? BeforeDelete { get; set; }
    public JsonEventSerializer? Reader { get; set; }

    public bool IsCurrent(int incarnation) => Running && Incarnation == incarnation;

    /// <summary>Starts a fresh incarnation: a new actor system over the same disk.</summary>
    public (ActorSystem System, ClusterDependencies Dependencies) Start(ClusterSimulation simulation, ActorSystemSettings settings,
        JsonEventSerializer serializer, Func<IHypervisor, Haven.Actors.Vms.VmServices?> vms)
    {
        if (Running) throw new InvalidOperationException($"n{Id} is already running");
        Incarnation++;
        Running = true;
        LastView = null;
        var incarnation = Incarnation;
        Transport = new GatedTransport(NetworkTransport, simulation, Id);
        System = ActorSystem.Create($"n{Id}", settings);
        var persistence = new PersistenceServices(new PoweredJournal(Journal, this, incarnation),
            new PoweredSnapshotStore(Snapshots, this, incarnation), serializer);
        var dependencies = new ClusterDependencies(
            Transport,
            persistence,
            new ScriptedFencer(simulation, this, incarnation),
            new RecordingAddressManager(simulation, this, incarnation),
            new ScriptedReachability(this),
            view =>
            {
                if (IsCurrent(incarnation)) simulation.Observe(this, view);
            },
            Vms: vms(new SimulatedHypervisor(simulation, this, incarnation)));
        return (System, dependencies);
    }

    /// <summary>The process dies (power loss or kill): the incarnation goes quiet and its actor system stops.</summary>
    public void Stop()
    {
        if (!Running) return;
        Running = false;
        Clock?.Reset();
        Transport?.Close();
        System?.Terminate();
        LastView = null;
        Cluster = null;
    }

    private void CheckPowered(int incarnation)
    {
        if (!IsCurrent(incarnation)) throw new IOException($"n{Id} is powered off (incarnation {incarnation} is dead)");
    }

    private sealed class PoweredJournal(IJournal inner, SimulatedHost host, int incarnation) : DelegatingJournal(inner)
    {
        public override Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
        {
            host.CheckPowered(incarnation);
            return base.WriteAsync(entries, cancellationToken);
        }

        public override Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
        {
            host.CheckPowered(incarnation);
            host.BeforeDelete?.Invoke();
            return base.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);
        }
    }

    private sealed class PoweredSnapshotStore(ISnapshotStore inner, SimulatedHost host, int incarnation) : ISnapshotStore
    {
        public Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
        {
            host.CheckPowered(incarnation);
            return inner.SaveAsync(snapshot, cancellationToken);
        }

        public Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue,
            CancellationToken cancellationToken = default) => inner.LoadLatestAsync(persistenceId, maxSequenceNr, cancellationToken);

        public Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
        {
            host.CheckPowered(incarnation);
            return inner.DeleteToAsync(persistenceId, maxSequenceNr, cancellationToken);
        }
    }
}

/// <summary>
/// One incarnation's view of its host's <see cref="SimulatedTransport"/>: forwards callbacks (and notes
/// them in the trace) until <see cref="Close"/>, after which it neither delivers nor sends.
/// </summary>
internal sealed class GatedTransport : IClusterTransport
{
    private readonly SimulatedTransport _inner;
    private readonly ClusterSimulation _simulation;
    private bool _open = true;

    public GatedTransport(SimulatedTransport inner, ClusterSimulation simulation, NodeId node)
    {
        _inner = inner;
        _simulation = simulation;
        LocalNode = node;
        _inner.Delivered += OnDelivered;
        _inner.MembershipChanged += OnMembershipChanged;
        _inner.QuorumChanged += OnQuorumChanged;
    }

    public NodeId LocalNode { get; }

    /// <summary>The incarnation asked to join the group (so a kill must go through the network).</summary>
    public bool Joined { get; private set; }

    public event Action<NodeId, byte[]>? Delivered;
    public event Action<MembershipChanged>? MembershipChanged;
    public event Action<QuorumChanged>? QuorumChanged;

    public void Close()
    {
        _open = false;
        _inner.Delivered -= OnDelivered;
        _inner.MembershipChanged -= OnMembershipChanged;
        _inner.QuorumChanged -= OnQuorumChanged;
    }

    public Task JoinAsync(string group, CancellationToken cancellationToken = default)
    {
        if (!_open) return Task.CompletedTask;
        Joined = true;
        return _inner.JoinAsync(group, cancellationToken);
    }

    public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        _open ? _inner.MulticastAsync(payload, cancellationToken) : Task.CompletedTask;

    public Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        if (!_open) return Task.CompletedTask;
        Joined = false;
        return _inner.LeaveAsync(cancellationToken);
    }

    private readonly List<Action> _held = [];

    /// <summary>While true (the daemon hangs) deliveries and membership changes wait, in order, for <see cref="Release"/>.</summary>
    public bool Holding { get; set; }

    /// <summary>Hands over what arrived while the daemon hung, in arrival order.</summary>
    public void Release()
    {
        Holding = false;
        var held = _held.ToList();
        _held.Clear();
        foreach (var act in held)
            if (_open) act();
    }

    private void OnDelivered(NodeId sender, byte[] payload)
    {
        if (!_open) return;
        if (Holding)
        {
            _held.Add(() => OnDelivered(sender, payload));
            return;
        }
        _simulation.NoteDelivery(sender, LocalNode, payload);
        Delivered?.Invoke(sender, payload);
    }

    private void OnMembershipChanged(MembershipChanged change)
    {
        if (!_open) return;
        if (Holding)
        {
            _held.Add(() => OnMembershipChanged(change));
            return;
        }
        _simulation.NoteMembership(LocalNode, change);
        MembershipChanged?.Invoke(change);
    }

    private void OnQuorumChanged(QuorumChanged quorum)
    {
        if (_open) QuorumChanged?.Invoke(quorum);
    }
}

/// <summary>Fences through the harness: success powers the target off, unless a fence-failure fault is active for it.</summary>
internal sealed class ScriptedFencer(ClusterSimulation simulation, SimulatedHost host, int incarnation) : IFencer
{
    public Task<FenceResult> FenceAsync(FenceTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (!host.IsCurrent(incarnation))
            return Task.FromResult(new FenceResult(false, ClusterSimulation.FenceDevice, "the requesting host is powered off"));
        return simulation.FenceAsync(host, target);
    }
}

/// <summary>Records every take and release in the harness's address ledger.</summary>
internal sealed class RecordingAddressManager(ClusterSimulation simulation, SimulatedHost host, int incarnation) : IAddressManager
{
    public Task TakeAsync(PublicAddress address, bool probe, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (host.IsCurrent(incarnation)) simulation.RecordAddress(new AddressTaken(host.Id, address.Ip));
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(PublicAddress address, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (host.IsCurrent(incarnation)) simulation.RecordAddress(new AddressReleased(host.Id, address.Ip));
        return Task.CompletedTask;
    }
}

/// <summary>The host's heuristic reachability, as the harness last set it.</summary>
internal sealed class ScriptedReachability(SimulatedHost host) : IReachability
{
    public Task<bool> AllReachableAsync(CancellationToken cancellationToken) => Task.FromResult(host.Reachable);
}
