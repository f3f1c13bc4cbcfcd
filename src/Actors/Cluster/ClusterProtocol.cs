using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.Cluster;

/// <summary>A node's state in the cluster state machine (see <see cref="ClusterState"/> for the transitions).</summary>
public enum NodeState
{
    Joining,
    Up,
    Unreachable,
    Down,
    Fenced,
    Leaving,
    Left,
    Standby,
    Maintenance,
    Unhealthy,
}

/// <summary>A fact that changes <see cref="ClusterState"/>; replicated in agreed order and journaled.</summary>
public interface IClusterEvent;

/// <summary>The node joined (or rejoined after being down, fenced or having left) the cluster.</summary>
public sealed record NodeJoined(NodeId Node, string Name) : IClusterEvent;

/// <summary>The node is a full member: joined, reachable again, or back from standby or maintenance.</summary>
public sealed record NodeUp(NodeId Node) : IClusterEvent;

/// <summary>The membership lost the node; the split-brain resolver has not decided yet.</summary>
public sealed record NodeUnreachable(NodeId Node) : IClusterEvent;

/// <summary>
/// The node was downed (split-brain decision or operator); its resources wait for fencing. <see cref="Name"/>
/// is given when the state has never seen the node join but it was a member of a primary partition
/// (<see cref="ClusterState.PrimaryMembers"/>): its joins were in a part of that epoch this stream never
/// received, so it may hold anything, and it is recorded Down to be fenced.
/// </summary>
public sealed record NodeDown(NodeId Node, string Reason, string? Name = null) : IClusterEvent;

/// <summary>
/// A host the state has Down or Fenced, back in a synced primary partition, states what it holds: the VMs it still
/// runs or manages (each one the state places on it) and the floating addresses on its interfaces. It sends this only
/// after it has forced off every VM the state places elsewhere and released its addresses; the DC readmits it
/// (<see cref="NodeJoined"/>) once the report agrees with the state (<see cref="ClusterState.HoldingsProblem"/>).
/// </summary>
public sealed record NodeHoldings(NodeId Node, ImmutableArray<string> Vms, ImmutableArray<string> Ips) : IClusterEvent
{
    public bool Equals(NodeHoldings? other) =>
        other is not null && Node == other.Node && Vms.OrEmpty().SequenceEqual(other.Vms.OrEmpty())
        && Ips.OrEmpty().SequenceEqual(other.Ips.OrEmpty());

    public override int GetHashCode() => HashCode.Combine(Node, Vms.OrEmpty().Length, Ips.OrEmpty().Length);

    public override string ToString() =>
        $"NodeHoldings {{ Node = {Node}, Vms = [{string.Join(", ", Vms.OrEmpty())}], Ips = [{string.Join(", ", Ips.OrEmpty())}] }}";
}

internal static class ImmutableArrayDefaults
{
    /// <summary>A default (deserialised-as-absent) array as an empty one.</summary>
    public static ImmutableArray<T> OrEmpty<T>(this ImmutableArray<T> array) => array.IsDefault ? [] : array;
}

/// <summary>The node is known to be off without a tracked request (watchdog timeout, operator confirmation, POOL removal).</summary>
public sealed record NodeFenced(NodeId Node, string Device) : IClusterEvent;

/// <summary>
/// The node is leaving cleanly: it releases what it holds, then <see cref="NodeLeft"/>. <see cref="ShutdownAt"/> set (its host's
/// clock): a clean shutdown under shutdown-lock — its VMs are stopped where they are and locked to it (<see cref="Vms.VmShutdownLock"/>)
/// instead of moving; null: `haven cluster leave`, its VMs move.
/// </summary>
public sealed record NodeLeaving(NodeId Node) : IClusterEvent
{
    public DateTimeOffset? ShutdownAt { get; init; }
}

/// <summary>The node left cleanly, holding nothing.</summary>
public sealed record NodeLeft(NodeId Node) : IClusterEvent;

/// <summary>The node is in standby: a member that takes no resources.</summary>
public sealed record NodeStandby(NodeId Node) : IClusterEvent;

/// <summary>The node is in maintenance: a member that is neither monitored nor given resources.</summary>
public sealed record NodeMaintenance(NodeId Node) : IClusterEvent;

/// <summary>The node's monitor failed (CTDB UNHEALTHY): its addresses and VMs fail over.</summary>
public sealed record NodeUnhealthy(NodeId Node, string Reason) : IClusterEvent;

/// <summary>The node's monitor passes again.</summary>
public sealed record NodeHealthy(NodeId Node) : IClusterEvent;

/// <summary>The node's side lost the split-brain decision: it demotes and acts on nothing until it rejoins.</summary>
public sealed record PartitionDemoted(NodeId Node) : IClusterEvent;

/// <summary>The designated coordinator changed (null: none, no member is eligible).</summary>
public sealed record DcChanged(NodeId? Dc) : IClusterEvent;

/// <summary>CTDB startrecovery: the coordinator begins a recovery (a new generation).</summary>
public sealed record RecoveryStarted(NodeId Coordinator) : IClusterEvent;

/// <summary>CTDB recovered: the recovery finished.</summary>
public sealed record RecoveryCompleted : IClusterEvent;

/// <summary>
/// CTDB releaseip: the node no longer holds the address. <paramref name="Holding"/>: the holding the node let go of
/// (<see cref="ClusterState.IpHoldings"/>; 0, older journals and releases made on a node's behalf: not checked).
/// </summary>
public sealed record IpReleased(string Interface, string Ip, int Mask, NodeId Node, long Holding = 0) : IClusterEvent;

/// <summary>CTDB takeip: the node holds the address.</summary>
public sealed record IpTaken(string Interface, string Ip, int Mask, NodeId Node) : IClusterEvent;

/// <summary>CTDB ipreallocated: an address reallocation round finished.</summary>
public sealed record IpReallocated : IClusterEvent;

/// <summary>
/// A primary partition was established (the split-brain resolver let this side survive): a new epoch of
/// the replicated stream. Every member appends it at the same point; syncs prefer the latest epoch.
/// </summary>
public sealed record PrimaryFormed(long Epoch, System.Collections.Immutable.ImmutableArray<NodeId> Members) : IClusterEvent;

/// <summary>
/// HA-Lizard's IP heuristics: whether the node reaches every heuristic address, as it last reported it.
/// Replicated so both sides of a later split decide from the same facts.
/// </summary>
public sealed record HeuristicsChanged(NodeId Node, bool Reachable) : IClusterEvent;

/// <summary>The coordinator asked for the target to be fenced.</summary>
public sealed record FenceRequested(NodeId Target, NodeId RequestedBy, string Reason) : IClusterEvent;

/// <summary>
/// The fence device confirmed the target is off: the target becomes <see cref="NodeState.Fenced"/>.
/// <paramref name="Seconds"/> is how long the fence took (null when not measured).
/// </summary>
public sealed record FenceSucceeded(NodeId Target, string Device, double? Seconds = null) : IClusterEvent;

/// <summary>
/// An operator stated that the target is off (<c>haven fence confirm NODE</c>, Pacemaker's
/// <c>stonith_admin --confirm</c>), on host <paramref name="ConfirmedOn"/>, with their words in
/// <paramref name="Reason"/>: the target becomes <see cref="NodeState.Fenced"/> as if a device had
/// confirmed it, and an open fence request for it is closed. Haven cannot check it: a node that is in
/// fact running may then run its resources twice.
/// </summary>
public sealed record FenceConfirmed(NodeId Target, NodeId ConfirmedOn, string Reason) : IClusterEvent
{
    /// <summary>The longest reason an operator may give.</summary>
    public const int MaxReasonLength = 500;

    /// <summary>Null when <paramref name="reason"/> can be journaled as the operator's words, else what is wrong.</summary>
    public static string? ReasonProblem(string? reason) =>
        string.IsNullOrWhiteSpace(reason) ? "a reason is needed: say why the node is known to be off (--reason TEXT)"
        : reason.Length > MaxReasonLength ? $"the reason is {reason.Length} characters; at most {MaxReasonLength}"
        : reason.Any(char.IsControl) ? "the reason contains a control character (a line break, a tab, …)"
        : null;
}

/// <summary>Fencing the target failed (or the fencing rules refused it); the request is closed and may be retried.</summary>
public sealed record FenceFailed(NodeId Target, string Reason, double? Seconds = null) : IClusterEvent;

/// <summary>Thrown by <see cref="ClusterState.Apply"/> for an event that the state does not allow.</summary>
public sealed class ClusterEventRejectedException(IClusterEvent clusterEvent, string reason)
    : InvalidOperationException($"{clusterEvent.GetType().Name} rejected: {reason}")
{
    public IClusterEvent Event { get; } = clusterEvent;

    public string Reason { get; } = reason;
}
