using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.Cluster;

/// <summary>One node as the cluster state knows it. <see cref="JoinOrder"/> grows with every join (its age).</summary>
/// <summary>A node of the cluster; <paramref name="FenceFailure"/> is why its last fence failed (until it is fenced or joins again).</summary>
/// <remarks><paramref name="OffByDevice"/>: it is Fenced because a fence device confirmed it off (<see cref="FenceSucceeded"/>),
/// not by an operator's word or recover-on-failure.</remarks>
public sealed record NodeInfo(NodeId Id, string Name, NodeState State, long JoinOrder, int FenceFailures = 0, string? FenceFailure = null,
    bool OffByDevice = false)
{
    /// <summary>When it began a clean shutdown under shutdown-lock (<see cref="NodeLeaving.ShutdownAt"/>); null once it is Up again.</summary>
    public DateTimeOffset? ShutdownAt { get; init; }
}

/// <summary>A floating address held by a node; <see cref="Ip"/> is in canonical form.</summary>
public sealed record IpAssignment(string Interface, string Ip, int Mask, NodeId Node);

/// <summary>An open fence request.</summary>
public sealed record FenceRequest(NodeId Target, NodeId RequestedBy, string Reason);

/// <summary>
/// The replicated cluster state: a pure function of the event stream. <see cref="Apply"/> returns the
/// next state or throws <see cref="ClusterEventRejectedException"/>; <see cref="TryApply"/> and
/// <see cref="Validate"/> report the reason instead. An event is never half applied. Equality compares
/// contents, so the same events always give equal states.
/// <para>Node transitions (event: from → to):</para>
/// <list type="bullet">
/// <item>NodeJoined: unknown, Down, Fenced, Left → Joining (ends a demotion of that node)</item>
/// <item>NodeUp: Joining, Unreachable, Standby, Maintenance, Leaving (a leaving host that restarted) → Up (ends a demotion)</item>
/// <item>NodeUnreachable: Joining, Up, Standby, Maintenance, Unhealthy, Leaving → Unreachable</item>
/// <item>NodeDown: Joining, Up, Standby, Maintenance, Unhealthy, Leaving, Unreachable → Down; unknown → Down
/// only with a name, for a node that was a member of a primary partition (<see cref="PrimaryMembers"/>)</item>
/// <item>NodeFenced, FenceSucceeded, FenceConfirmed: Down, Unreachable, Unhealthy → Fenced (FenceSucceeded needs an open
/// request; FenceConfirmed, the operator's word, closes one when there is one)</item>
/// <item>While a fence request for a node is open it may only go Down or Fenced (it neither joins nor comes up); a
/// request (FenceRequested) is only opened for a Down, Unreachable or Unhealthy node</item>
/// <item>NodeHoldings: a Down or Fenced node's report of what it holds, kept until it joins or is downed or fenced again</item>
/// <item>NodeLeaving: Joining, Up, Standby, Maintenance, Unhealthy → Leaving</item>
/// <item>NodeLeft: Leaving → Left, only once the node holds no address and no VM</item>
/// <item>NodeStandby: Up, Maintenance, Unhealthy → Standby</item>
/// <item>NodeMaintenance: Up, Standby, Unhealthy → Maintenance</item>
/// <item>NodeUnhealthy: Up, Standby → Unhealthy; NodeHealthy: Unhealthy → Up</item>
/// </list>
/// Addresses: IpTaken needs an Up, undemoted node, an address nobody holds and no <see cref="UncleanNodes"/>; IpReleased needs the
/// address to be held by that node on that interface (the coordinator records releases for fenced nodes).
/// <see cref="VacatedByFence"/> says which takes need no duplicate-address probe.
/// </summary>
public sealed partial record ClusterState
{
    public static readonly ClusterState Empty = new();

    private ClusterState() { }

    public ImmutableDictionary<NodeId, NodeInfo> Nodes { get; private init; } = ImmutableDictionary<NodeId, NodeInfo>.Empty;

    /// <summary>The designated coordinator as last recorded by <see cref="DcChanged"/>.</summary>
    public NodeId? Dc { get; private init; }

    /// <summary>Nodes whose side lost a split-brain decision and that have not rejoined since.</summary>
    public ImmutableHashSet<NodeId> Demoted { get; private init; } = ImmutableHashSet<NodeId>.Empty;

    /// <summary>Floating addresses by canonical address.</summary>
    public ImmutableDictionary<string, IpAssignment> Ips { get; private init; } = ImmutableDictionary<string, IpAssignment>.Empty;

    /// <summary>
    /// Which holding of each held address is current: the state version that applied its <see cref="IpTaken"/>. A host's
    /// <see cref="IpReleased"/> names the holding it let go of, so a late release of an earlier holding (held up while
    /// the address was released and given back to the same host) is never taken for the current one (absent: held
    /// since before holdings were recorded; a release naming 0 is not checked).
    /// </summary>
    public ImmutableDictionary<string, long> IpHoldings { get; private init; } = ImmutableDictionary<string, long>.Empty;

    /// <summary>The current holding of <paramref name="ip"/> (0: not held, or held since before holdings were recorded).</summary>
    public long HoldingOf(string ip) => IpHoldings.GetValueOrDefault(ip);

    /// <summary>
    /// Addresses nobody holds whose last holder was released while a fence device had confirmed it off
    /// (<see cref="NodeInfo.OffByDevice"/>), by canonical address, with that holder. The holder cannot answer
    /// for them and no other host was given them since, so their next take skips the duplicate-address probe
    /// (<see cref="ProbeBeforeTaking"/>). Released cleanly, or after recover-on-failure or an operator's
    /// confirmation, an address is not here: its next take probes.
    /// </summary>
    public ImmutableDictionary<string, NodeId> VacatedByFence { get; private init; } = ImmutableDictionary<string, NodeId>.Empty;

    /// <summary>Whether taking <paramref name="ip"/> now needs the duplicate-address probe: always, unless it is in <see cref="VacatedByFence"/>.</summary>
    public bool ProbeBeforeTaking(string ip) =>
        !(System.Net.IPAddress.TryParse(ip, out var address) && VacatedByFence.ContainsKey(address.ToString()));

    public ImmutableDictionary<NodeId, FenceRequest> PendingFences { get; private init; } = ImmutableDictionary<NodeId, FenceRequest>.Empty;

    /// <summary>Recovery generation: incremented by every <see cref="RecoveryStarted"/>.</summary>
    public long RecoveryGeneration { get; private init; }

    public bool RecoveryInProgress { get; private init; }

    public NodeId? RecoveryCoordinator { get; private init; }

    /// <summary>Completed address reallocation rounds (<see cref="IpReallocated"/>).</summary>
    public long IpReallocations { get; private init; }

    /// <summary>The join order the next joining node gets.</summary>
    public long NextJoinOrder { get; private init; } = 1;

    /// <summary>Events applied so far.</summary>
    public long Version { get; private init; }

    /// <summary>How many primary partitions the stream has seen (<see cref="PrimaryFormed"/>).</summary>
    public long Epoch { get; private init; }

    /// <summary>Every node that was a member of a primary partition this stream recorded (<see cref="PrimaryFormed"/>).</summary>
    public ImmutableSortedSet<NodeId> PrimaryMembers { get; private init; } = ImmutableSortedSet<NodeId>.Empty;

    /// <summary>
    /// Nodes that may hold addresses or VMs this state does not show, because they may have applied events of
    /// their primary epoch that this stream never received (virtual synchrony delivers a message to the
    /// members that survive its view, not to one that crashed or was cut off first): a node that is Down or
    /// Unreachable, has a fence request open, or was a member of a primary partition without this stream ever
    /// seeing it join. Until each is fenced or has left, nothing that nobody holds is given to any node — the
    /// resource may be running there (Pacemaker treats such a node as unclean; docs/cluster.md).
    /// </summary>
    public IEnumerable<NodeId> UncleanNodes =>
        Nodes.Values.Where(n => n.State is NodeState.Down or NodeState.Unreachable || PendingFences.ContainsKey(n.Id)).Select(n => n.Id)
            .Concat(PrimaryMembers.Where(id => !Nodes.ContainsKey(id)))
            .Order();

    /// <summary>
    /// <see cref="UncleanNodes"/> as a primary whose view is <paramref name="members"/> sees them before its DC has
    /// downed the lost: also every node of the state absent from the view that the DC will down (it is lost, and this
    /// state may miss what it did since) — all but a Fenced, Left or Maintenance one, which the DC never downs.
    /// While any is here, a host puts back no address it does not hold (<see cref="Hosts.HostEffects.Reassert"/>).
    /// </summary>
    public IEnumerable<NodeId> UncleanNodesSeenFrom(IReadOnlyCollection<NodeId> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var lost = Nodes.Values.Where(n => !members.Contains(n.Id) && n.State is not (NodeState.Fenced or NodeState.Left or NodeState.Maintenance));
        return UncleanNodes.Union(lost.Select(n => n.Id)).Order();
    }

    /// <summary>Each node's last replicated heuristic reachability (absent: never reported).</summary>
    public ImmutableDictionary<NodeId, bool> Heuristics { get; private init; } = ImmutableDictionary<NodeId, bool>.Empty;

    /// <summary>States in which a node is a member of this partition and may coordinate.</summary>
    public static bool IsActiveMember(NodeState state) =>
        state is NodeState.Up or NodeState.Standby or NodeState.Maintenance or NodeState.Unhealthy;

    /// <summary>Members of the primary (this, undemoted) partition: active members not demoted, by id.</summary>
    public IEnumerable<NodeId> PrimaryPartition =>
        Nodes.Values.Where(n => IsActiveMember(n.State) && !Demoted.Contains(n.Id)).Select(n => n.Id).Order();

    /// <summary>The DC this state implies: the lowest node id of the primary partition, or null.</summary>
    public NodeId? ExpectedDc => DesignatedCoordinator.Select(PrimaryPartition);

    public NodeState? StateOf(NodeId node) => Nodes.TryGetValue(node, out var info) ? info.State : null;

    /// <summary>The addresses the node holds, by address.</summary>
    public IEnumerable<IpAssignment> IpsOf(NodeId node) => Ips.Values.Where(a => a.Node == node).OrderBy(a => a.Ip, StringComparer.Ordinal);

    /// <summary>Null when the event may be applied, else why not.</summary>
    public string? Validate(IClusterEvent clusterEvent) => Transition(clusterEvent).Reason;

    public bool TryApply(IClusterEvent clusterEvent, out ClusterState next, out string? reason)
    {
        var (state, why) = Transition(clusterEvent);
        next = state ?? this;
        reason = why;
        return state is not null;
    }

    public ClusterState Apply(IClusterEvent clusterEvent)
    {
        var (state, reason) = Transition(clusterEvent);
        return state ?? throw new ClusterEventRejectedException(clusterEvent, reason!);
    }

    /// <summary>Applies events in order; throws on the first rejected one.</summary>
    public ClusterState ApplyAll(IEnumerable<IClusterEvent> events)
    {
        var state = this;
        foreach (var e in events) state = state.Apply(e);
        return state;
    }

    public bool Equals(ClusterState? other) =>
        other is not null
        && Version == other.Version
        && Epoch == other.Epoch
        && Dc == other.Dc
        && RecoveryGeneration == other.RecoveryGeneration
        && RecoveryInProgress == other.RecoveryInProgress
        && RecoveryCoordinator == other.RecoveryCoordinator
        && IpReallocations == other.IpReallocations
        && NextJoinOrder == other.NextJoinOrder
        && Demoted.SetEquals(other.Demoted)
        && SameContents(Nodes, other.Nodes)
        && SameContents(Ips, other.Ips)
        && SameContents(IpHoldings, other.IpHoldings)
        && SameContents(VacatedByFence, other.VacatedByFence)
        && SameContents(PendingFences, other.PendingFences)
        && SameContents(Heuristics, other.Heuristics)
        && PrimaryMembers.SetEquals(other.PrimaryMembers)
        && SameContents(Holdings, other.Holdings)
        && SettingsEqual(other)
        && VmsEqual(other);

    public override int GetHashCode() => HashCode.Combine(Version, Dc, Nodes.Count, Ips.Count, RecoveryGeneration);

    internal static bool SameContents<TKey, TValue>(ImmutableDictionary<TKey, TValue> a, ImmutableDictionary<TKey, TValue> b)
        where TKey : notnull
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Count != b.Count) return false;
        foreach (var (key, value) in a)
            if (!b.TryGetValue(key, out var other) || !EqualityComparer<TValue>.Default.Equals(value, other))
                return false;
        return true;
    }
}

/// <summary>The designated coordinator rule: the lowest node id of the primary partition. No election.</summary>
public static class DesignatedCoordinator
{
    public static NodeId? Select(IEnumerable<NodeId> primaryPartition)
    {
        NodeId? lowest = null;
        foreach (var node in primaryPartition)
            if (lowest is null || node < lowest.Value) lowest = node;
        return lowest;
    }
}
