using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Cluster;

/// <summary>
/// Pacemaker's shutdown-lock in the replicated state. A host that shuts down cleanly under shutdown-lock sends NodeLeaving
/// with <see cref="NodeLeaving.ShutdownAt"/> (kept on <see cref="NodeInfo.ShutdownAt"/> until it is Up again); a VM it then
/// stops (VmStopped while it is Leaving so marked) is locked to it from that time (<see cref="VmInfo.Lock"/>). The lock is a
/// replicated fact: any DC applies it the same way (the DC places a locked VM only on that node while the lock holds, see
/// <c>VmRecovery</c>). VmPlaced (on the node it came back to, or anywhere once shutdown-lock-limit passed) and VmCleanedUp
/// (`haven vm cleanup`, Pacemaker's crm_resource --refresh) clear it.
/// </summary>
public sealed partial record ClusterState
{
    /// <summary>The lock a VM stopped on <paramref name="node"/> now takes: one, when the node is shutting down under shutdown-lock.</summary>
    private VmShutdownLock? LockOnStop(VmInfo vm, NodeId node) =>
        Nodes.TryGetValue(node, out var info) && info is { State: NodeState.Leaving, ShutdownAt: { } at } ? new VmShutdownLock(node, at) : vm.Lock;

    internal ClusterState MarkShutdown(NodeId node, DateTimeOffset? at) =>
        Nodes.TryGetValue(node, out var info) && info.ShutdownAt != at ? this with { Nodes = Nodes.SetItem(node, info with { ShutdownAt = at }) } : this;
}

/// <summary>Transition results of NodeLeaving and NodeUp: the shutdown mark is set or cleared.</summary>
internal static class ShutdownTransitions
{
    public static (ClusterState? State, string? Reason) WithShutdown(this (ClusterState? State, string? Reason) result, NodeId node, DateTimeOffset? at) =>
        result.State is { } state ? (state.MarkShutdown(node, at), result.Reason) : result;

    public static (ClusterState? State, string? Reason) WithoutShutdown(this (ClusterState? State, string? Reason) result, NodeId node) =>
        result.State is { } state ? (state.MarkShutdown(node, null), result.Reason) : result;
}
