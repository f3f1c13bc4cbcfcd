using System.Collections.Concurrent;
using System.Collections.Immutable;
using Haven.Actors.Membership;
using Microsoft.Extensions.Logging;

namespace Haven.Adapters.Corosync;

/// <summary>Reconnect backoff of <see cref="CorosyncTransport"/>: doubles from <see cref="MinBackoff"/> up to <see cref="MaxBackoff"/>.</summary>
public sealed record CorosyncTransportOptions
{
    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Largest payload accepted by <see cref="CorosyncTransport.MulticastAsync"/>. corosync delivers
    /// messages above its atomic size (1,047,552 bytes) intact by fragmenting them itself; this bound
    /// keeps one message from monopolising the ring. Larger payloads are refused with a clear error.
    /// </summary>
    public int MaxMessageBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// When set, joining is refused (with the reason, and retried) unless corosync's totem.cluster_name
    /// is this name: a host configured for another cluster must not join this one. The daemon sets it
    /// to haven.cluster.name.
    /// </summary>
    public string? ExpectedClusterName { get; init; }

    /// <summary>
    /// When set, joining is refused (with the differences, and retried) unless corosync's nodelist
    /// holds these names and ids: the daemon sets it to haven.cluster.nodes when it could not check
    /// that list against corosync's at its start (corosync was not running yet), so a host whose list
    /// differs from its corosync's never joins. (A reload that changes corosync's nodelist later is
    /// not refused here: the daemon's nodelist watch adopts or refuses it, see CorosyncNodeListWatch.)
    /// </summary>
    public System.Collections.Immutable.ImmutableArray<Haven.Actors.Configuration.NodeSettings>? ExpectedNodes { get; init; }
}

/// <summary>
/// <see cref="IClusterTransport"/> over Corosync: one CPG group per cluster name (agreed order),
/// votequorum's verdict, and a dispatch thread that polls both descriptors, dispatches, and sends what
/// <see cref="MulticastAsync"/> queued (a send that gets CS_ERR_TRY_AGAIN is retried after the next
/// dispatch cycle). Every native call happens on that thread; callbacks are raised there, one at a time.
/// Without a reachable corosync it logs the failure and retries with backoff; when the connection is
/// lost (corosync stopped or restarted) it reports this node alone (every other node down, not
/// quorate), then reconnects and joins again — the new view follows as usual.
/// </summary>
public sealed partial class CorosyncTransport : IClusterTransport, IDisposable
{
    private readonly Member _self;
    private volatile CorosyncMembers _members;
    private readonly ILogger _log;
    private readonly CorosyncTransportOptions _options;
    private readonly ConcurrentQueue<PendingSend> _sends = new();
    private readonly WakePipe _wake = new();
    private readonly Lock _gate = new();
    private readonly HashSet<uint> _reportedUnknown = [];
    private Thread? _thread;
    private volatile string? _group;
    private volatile bool _ownJoinSeen;
    private volatile bool _stopping;
    private volatile bool _silenced;
    private TaskCompletionSource _joinAccepted = NewSignal();
    private TaskCompletionSource? _leaveDone;
    private ImmutableArray<Member> _lastView = [];

    public CorosyncTransport(Member self, ImmutableArray<Member> nodes, ILogger<CorosyncTransport> log, CorosyncTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(self);
        _self = self;
        _members = new CorosyncMembers(nodes.IsDefaultOrEmpty ? [self] : nodes);
        _log = log;
        _options = options ?? new CorosyncTransportOptions();
    }

    public NodeId LocalNode => _self.Id;

    /// <summary>
    /// The node list changed (corosync's nodelist reloaded and adopted): names node ids from now on, for the
    /// next membership change. Safe from any thread.
    /// </summary>
    public void SetNodes(ImmutableArray<Member> nodes)
    {
        _members = new CorosyncMembers(nodes.IsDefaultOrEmpty ? [_self] : nodes);
        lock (_gate) _reportedUnknown.Clear();
    }

    /// <summary>Whether this node has seen its own join in the current connection (sending is allowed).</summary>
    public bool IsMember => _ownJoinSeen;

    /// <summary>corosync's atomic message size of the current connection (0 before the first connection).</summary>
    public int MaxAtomicMessageBytes { get; private set; }

    public event Action<NodeId, byte[]>? Delivered;
    public event Action<MembershipChanged>? MembershipChanged;
    public event Action<QuorumChanged>? QuorumChanged;

    public Task JoinAsync(string group, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        var bytes = System.Text.Encoding.UTF8.GetByteCount(group);
        if (bytes >= CorosyncNative.GroupNameMax)
            throw new ArgumentException($"cluster name \"{group}\" is {bytes} bytes; a corosync CPG group name must be shorter than {CorosyncNative.GroupNameMax}", nameof(group));
        ObjectDisposedException.ThrowIf(_stopping, this);
        Task accepted;
        lock (_gate)
        {
            if (_group is not null && _group != group)
                throw new InvalidOperationException($"already joined group \"{_group}\"; one transport joins one group");
            if (_joinAccepted.Task.IsCompleted && _group is null) _joinAccepted = NewSignal();
            _group = group;
            _silenced = false;
            accepted = _joinAccepted.Task;
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "corosync-dispatch" };
                _thread.Start();
            }
        }
        _wake.Signal();
        return accepted.WaitAsync(cancellationToken);
    }

    public Task MulticastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (!_ownJoinSeen) throw new InvalidOperationException("not a member of the corosync group yet: send only after seeing the own join");
        if (payload.Length > _options.MaxMessageBytes)
            return Task.FromException(new InvalidOperationException(
                $"message of {payload.Length} bytes is larger than the corosync transport's limit of {_options.MaxMessageBytes} bytes; not sent"));
        var send = new PendingSend(payload.ToArray(), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        _sends.Enqueue(send);
        _wake.Signal();
        return send.Done.Task.WaitAsync(cancellationToken);
    }

    public Task LeaveAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            if (_group is null || _thread is null) return Task.CompletedTask;
            _silenced = true; // no callbacks follow a leave
            _leaveDone ??= NewSignal();
            done = _leaveDone;
        }
        _wake.Signal();
        return done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Leaves the group (peers see a clean leave), finalizes both handles and stops the dispatch thread.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _silenced = true;
        _stopping = true;
        _wake.Signal();
        if (_thread is not null && !_thread.Join(TimeSpan.FromSeconds(10)))
            _log.LogWarning("The corosync dispatch thread did not stop within 10 s");
        _wake.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record PendingSend(byte[] Payload, TaskCompletionSource Done);

    // ---- raising events (dispatch thread only) -------------------------------------------------

    private void RaiseDelivered(uint nodeId, byte[] payload)
    {
        if (!_silenced) Delivered?.Invoke(new NodeId(nodeId), payload);
    }

    private void RaiseMembership(MembershipChanged change)
    {
        _lastView = change.Members;
        if (!_silenced) MembershipChanged?.Invoke(change);
    }

    private void RaiseQuorum(QuorumChanged change)
    {
        if (!_silenced) QuorumChanged?.Invoke(change);
    }

    private void ReportUnknown(ISet<uint> unknown)
    {
        lock (_gate)
            foreach (var id in unknown)
                if (_reportedUnknown.Add(id))
                    _log.LogWarning("Corosync reports node id {NodeId}, which is not in the node list Haven runs with; it is shown as unknown-{NodeId} and not admitted until the node list names it (a node added to corosync.conf is taken within seconds of corosync-cfgtool -R, unless haven.cluster.nodes is set and does not list it)", id, id);
    }
}
