using System.Collections.Immutable;
using Haven.Actors.Fencing;
using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Actors.SplitBrain;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// One per host. Applies the replicated event stream to <see cref="ClusterState"/> and journals it
/// (persistence id "cluster"); after every membership change the members exchange <see cref="Hello"/>s,
/// the member with the longest history brings the others up to date (<see cref="SyncOffer"/>), and once
/// the view has been stable for stable-after the side's coordinator runs the split-brain resolver
/// (<see cref="PartitionDecided"/>). The winning side is the primary partition: its lowest node id is the
/// DC, which alone decides (joins, downs, fencing, recovery) by multicasting events; the losing side
/// demotes. Replicated events are applied only by synced members of the primary, in delivery order, so
/// the journals of a primary's members are identical. The protocol is described in docs/cluster.md.
/// </summary>
public sealed partial class ClusterActor : PersistentActor
{
    private ClusterOptions _options; // its node list changes with ChangeNodeList (ClusterActor.NodeList.cs)
    private readonly ClusterDependencies _deps;
    private readonly DowningStrategy _strategy;
    private ImmutableSortedSet<NodeId> _configured;
    private readonly ReplicatedStream _stream = new();
    private readonly List<ILocalFact> _unreconciled = [];

    private ClusterState _state = ClusterState.Empty;
    private PartitionRole _role = PartitionRole.Joining;
    private ImmutableArray<Member> _view = [];
    private ImmutableArray<NodeId> _viewIds = [];
    private long _viewId;
    private readonly SortedDictionary<NodeId, Hello> _hellos = new();
    private bool _viewSynced;
    private bool _awaitingSync;
    private bool _decidedThisView;
    private readonly List<(NodeId Sender, WireEnvelope Envelope)> _buffered = [];
    private StableAfterTracker? _tracker;
    private QuorumChanged? _quorum;
    private bool? _reachable;
    // Whether this incarnation has shared a synced view with another member (its stream is then the
    // primary's, not a stale one from before a restart).
    private bool _caughtUp;
    // Members whose NodeLeaving was applied in this view: their Hello (sent before it) says nothing of a restart.
    private readonly HashSet<NodeId> _helloBeforeLeave = [];
    private bool _left;
    private long _sendSequence;

    private NodeId Me => _options.Self.Id;

    public static Props Props(ClusterOptions options, ClusterDependencies dependencies) =>
        Runtime.Props.Create(() => new ClusterActor(options, dependencies));

    /// <summary>Options read at each (re)start: a restarted actor runs with the node list adopted since (<see cref="ChangeNodeList"/>).</summary>
    public static Props Props(Func<ClusterOptions> options, ClusterDependencies dependencies) =>
        Runtime.Props.Create(() => new ClusterActor(options(), dependencies));

    public ClusterActor(ClusterOptions options, ClusterDependencies dependencies) : base(dependencies.Persistence)
    {
        _options = options;
        _deps = dependencies;
        _strategy = options.SplitBrain.CreateStrategy();
        _configured = options.Nodes.Select(n => n.Id).ToImmutableSortedSet();

        Recover<IClusterEvent>(e => ApplyReplicated(e, sideEffects: false));
        Recover<DemotedLocally>(f => _unreconciled.Add(f));
        Recover<ReleasedLocally>(f => _unreconciled.Add(f));
        Recover<LocalFactsReconciled>(f => _unreconciled.RemoveRange(0, Math.Min(f.Count, _unreconciled.Count)));
        Recover<StreamReset>(r => RebuildTo(r.DivergedAt));
        RegisterSnapshotHandlers();

        Receive<TransportDelivered>(m => OnDelivered(m.Sender, m.Payload));
        Receive<TransportMembership>(m => OnMembershipChanged(m.Change));
        Receive<TransportQuorum>(m =>
        {
            _quorum = m.Change;
            Notify();
        });
        Receive<CheckStable>(_ => OnCheckStable());
        Receive<ReconcileTick>(_ => Reconcile());
        Receive<HeuristicsProbed>(m => OnHeuristicsProbed(m.Reachable));
        Receive<Coordinator.DcProposals>(OnDcProposals);
        Receive<Coordinator.DcOutcomeProposal>(OnDcOutcome);
        Receive<Coordinator.DcRoundDue>(_ => Reconcile());
        Receive<Coordinator.DcRestarted>(_ =>
        {
            if (!FromCoordinator) return;
            (_roundAsked, _roundAgain) = (null, false);
            Reconcile();
        });
        Receive<GetClusterView>(_ => Sender.Tell(View(), Self));
        Receive<CommandBefore>(OnCommandBefore);
        Receive<DownNode>(OnDownNode);
        Receive<ConfirmFenced>(OnConfirmFenced);
        Receive<ChangeNodeList>(OnChangeNodeList);
        Receive<LeaveCluster>(_ => OnLeave());
        Receive<ShutDownCleanly>(_ => OnShutDownCleanly());
        Receive<SetNodeMode>(OnSetNodeMode);
        Receive<MoveAddress>(OnMoveAddress);
        Receive<IpsReleased>(OnIpsReleased);
        Receive<IpTakeFailed>(OnIpTakeFailed);
        Receive<LocalVms>(OnLocalVms);
        Receive<VmsStoppedOnDemotion>(OnVmsStoppedOnDemotion);
        Receive<ReportHealth>(OnReportHealth);
        Receive<PublicAddressesChanged>(OnPublicAddressesChanged);
        Receive<RetryTake>(OnRetryTake);
        Receive<AliveTick>(_ => _deps.SelfFence?.Alive());
        RegisterSettingsHandlers();
        RegisterVmHandlers();
    }

    public override string PersistenceId => "cluster";

    // ---- start and stop ---------------------------------------------------------------------

    protected override void OnRecoveryCompleted()
    {
        _deps.Transport.Delivered += OnTransportDelivered;
        _deps.Transport.MembershipChanged += OnTransportMembership;
        _deps.Transport.QuorumChanged += OnTransportQuorum;
        Log.LogInformation("Cluster {Cluster}: node {Node} recovered {Events} replicated events (digest {Digest}); joining",
            _options.ClusterName, _options.Self.Name, _stream.Count, Short(_stream.Digest));
        SnapshotsRecovered();
        JoinGroup();
        // The watchdog's keepalive stays this actor's: it proves that the actor that decides still runs its mailbox.
        if (_deps.SelfFence is { } selfFence)
        {
            selfFence.Alive();
            Timers.StartPeriodicTimer("alive", AliveTick.Instance, TimeSpan.FromSeconds(1));
        }
        // The HostActor probes the heuristics (when they are on) from its start.
        if (_options.SplitBrain.UseIpHeuristics && _deps.Reachability is not null) _ = Host;
        Notify();
    }

    /// <summary>
    /// Joins the group. After a restart of this actor the transport may still count us joined: then we
    /// leave and join again, so that the own join (and with it the view) is delivered afresh.
    /// </summary>
    private void JoinGroup()
    {
        Task joined;
        try
        {
            joined = _deps.Transport.JoinAsync(_options.ClusterName);
        }
        catch (InvalidOperationException)
        {
            joined = _deps.Transport.LeaveAsync().ContinueWith(_ => _deps.Transport.JoinAsync(_options.ClusterName),
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        }
        joined.ContinueWith(t => Log.LogError(t.Exception?.GetBaseException(), "Cannot join cluster group {Cluster}", _options.ClusterName),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    protected override void PostStop()
    {
        _deps.Transport.Delivered -= OnTransportDelivered;
        _deps.Transport.MembershipChanged -= OnTransportMembership;
        _deps.Transport.QuorumChanged -= OnTransportQuorum;
    }

    // Transport callbacks run on the transport's thread: hand them to the mailbox, never touch state.
    private void OnTransportDelivered(NodeId sender, byte[] payload) => Self.Tell(new TransportDelivered(sender, payload), Self);
    private void OnTransportMembership(MembershipChanged change) => Self.Tell(new TransportMembership(change), Self);
    private void OnTransportQuorum(QuorumChanged change) => Self.Tell(new TransportQuorum(change), Self);

    /// <summary>A control request taken up in time is handled as if sent plain; one that waited too long changes nothing.</summary>
    private void OnCommandBefore(CommandBefore command)
    {
        var now = Context.System.TimeProvider.GetUtcNow();
        if (now > command.Deadline)
        {
            Log.LogWarning("Dropped a {Command} that waited {Late} ms past its deadline: the client was told it timed out",
                command.Command.GetType().Name, (long)(now - command.Deadline).TotalMilliseconds);
            Sender.Tell(new OperatorCommandResult(false,
                $"the request waited {(now - command.Deadline).TotalSeconds:0.#} s too long for the cluster (busy or blocked): nothing was changed"), Self);
            return;
        }
        _commandDeadline = command.Deadline; // a settings check (ClusterActor.SettingsCheck.cs) ends by it
        try
        {
            if (Dispatch(command.Command) is not null)
                throw new InvalidOperationException($"{command.Command.GetType().Name} is handled asynchronously and cannot carry a deadline");
        }
        finally
        {
            _commandDeadline = null;
        }
    }

    // ---- view ---------------------------------------------------------------------------------

    private ClusterView View()
    {
        var dc = _role == PartitionRole.Primary ? DcOfView() : null;
        var quorate = _quorum?.Quorate ?? _role == PartitionRole.Primary;
        return new ClusterView(_options.ClusterName, _options.Self, dc, quorate, _role,
            _view.IsDefault ? [] : _view, _state, _stream.Count, _stream.Digest);
    }

    /// <summary>
    /// The DC: the lowest node id of the primary partition, passing over unclean members (down or with a
    /// fence request open: never confirmed off, they are fenced before they may act). Every synced member computes the same.
    /// </summary>
    private NodeId? DcOfView()
    {
        if (_viewIds.IsDefaultOrEmpty) return null;
        foreach (var id in _viewIds.Order())
            if (!Unclean(id)) return id;
        return _viewIds.Min();
    }

    /// <summary>Down, or with a fence request open: such a node must be confirmed off before it may act.</summary>
    private bool Unclean(NodeId id) => _state.StateOf(id) == NodeState.Down || _state.PendingFences.ContainsKey(id);

    private void Notify() => _deps.Observer?.Invoke(View());

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest.Length == 0 ? "-" : digest;

    // ---- sending ------------------------------------------------------------------------------

    private void Multicast(object message)
    {
        var (manifest, payload) = Persistence.Serializer.Serialize(message);
        var envelope = new WireEnvelope(WireEnvelope.CurrentVersion, Me, ++_sendSequence, manifest, payload);
        Task sent;
        try
        {
            sent = _deps.Transport.MulticastAsync(envelope.Encode());
        }
        catch (InvalidOperationException e)
        {
            sent = Task.FromException(e);
        }
        // A lost message is repaired by the protocol (the next view's hellos, the DC's next round).
        sent.ContinueWith(t => Log.LogWarning("Multicast of {Type} failed: {Reason}", manifest, t.Exception?.GetBaseException().Message),
            CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    // ---- internal messages ----------------------------------------------------------------------

    private sealed record TransportDelivered(NodeId Sender, byte[] Payload);

    private sealed record TransportMembership(MembershipChanged Change);

    private sealed record TransportQuorum(QuorumChanged Change);

    private sealed record CheckStable
    {
        public static readonly CheckStable Instance = new();
    }

    private sealed record ReconcileTick
    {
        public static readonly ReconcileTick Instance = new();
    }

    private sealed record AliveTick
    {
        public static readonly AliveTick Instance = new();
    }

    private sealed record RetryTake(string Ip, int Attempt, bool Due);
}
