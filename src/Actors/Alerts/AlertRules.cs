using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Alerts;

/// <summary>
/// Maps replicated cluster events to alerts. Pure: <c>before</c> is the state the event applies to (it names
/// the nodes and tells a failover from an ordinary placement). Keys make repeats of one problem collapse:
/// <c>fence-failed:3</c>, <c>unhealthy:2</c>, <c>split-brain:epoch7</c>, <c>failover:192.0.2.10</c>.
/// </summary>
public static class AlertRules
{
    /// <summary>The alerts the event raises (usually none or one).</summary>
    public static ImmutableArray<Alert> FromEvent(ClusterState before, IClusterEvent clusterEvent)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(clusterEvent);
        return clusterEvent switch
        {
            FenceRequested e => [new Alert(AlertKind.Fence, $"fence:{e.Target.Value}",
                $"Fencing {Name(before, e.Target)} (requested by {Name(before, e.RequestedBy)}): {e.Reason}")],
            FenceSucceeded e => [new Alert(AlertKind.Fence, $"fenced:{e.Target.Value}",
                $"{Name(before, e.Target)} was fenced by {e.Device}")],
            NodeFenced e => [new Alert(AlertKind.Fence, $"fenced:{e.Node.Value}",
                $"{Name(before, e.Node)} is known to be off ({e.Device})")],
            FenceConfirmed e => [new Alert(AlertKind.Fence, $"fenced:{e.Target.Value}",
                $"{Name(before, e.Target)} was confirmed off by an operator on {Name(before, e.ConfirmedOn)}: {e.Reason}")],
            FenceFailed e => [new Alert(AlertKind.FenceFailed, $"fence-failed:{e.Target.Value}",
                $"Fencing {Name(before, e.Target)} failed: {e.Reason}; its resources are not recovered until it is fenced")],
            NodeUnhealthy e => [new Alert(AlertKind.Unhealthy, $"unhealthy:{e.Node.Value}",
                $"{Name(before, e.Node)} is unhealthy: {e.Reason}; its addresses and VMs fail over")],
            NodeHealthy e => [new Alert(AlertKind.Healthy, $"healthy:{e.Node.Value}", $"{Name(before, e.Node)} is healthy again")],
            NodeDown e => [new Alert(AlertKind.NodeDown, $"down:{e.Node.Value}", $"{Name(before, e.Node)} is down: {e.Reason}")],
            PartitionDemoted e => [new Alert(AlertKind.SplitBrain, $"split-brain:epoch{before.Epoch}",
                $"Split brain: {Name(before, e.Node)} is on the side that lost and demoted")],
            IpTaken e when Lost(before) is { IsEmpty: false } lost => [new Alert(AlertKind.Failover, $"failover:{e.Ip}",
                $"Address {e.Ip}/{e.Mask} on {e.Interface} taken over by {Name(before, e.Node)} after the loss of {string.Join(", ", lost.Select(n => Name(before, n)))}")],
            _ => [],
        };
    }

    /// <summary>Nodes lost or unhealthy (not the ones that left cleanly): while any exists, a take-over is a failover.</summary>
    private static ImmutableArray<NodeId> Lost(ClusterState state) =>
    [
        .. state.Nodes.Values
            .Where(n => n.State is NodeState.Down or NodeState.Fenced or NodeState.Unreachable or NodeState.Unhealthy)
            .Select(n => n.Id)
            .Order(),
    ];

    private static string Name(ClusterState state, NodeId node) =>
        state.Nodes.TryGetValue(node, out var info) ? $"{info.Name} (node {node.Value})" : $"node {node.Value}";
}
