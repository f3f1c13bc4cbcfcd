using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;

namespace Haven.Actors.Vms;

/// <summary>
/// Pacemaker's shutdown-lock in the DC's round. A host shutting down cleanly under shutdown-lock (Leaving with
/// <see cref="NodeInfo.ShutdownAt"/>) has its VMs stopped where they are, not moved; each is then locked to it
/// (<see cref="VmInfo.Lock"/>, replicated). While a lock holds the VM is placed only on its node, and only once that
/// node is back (Up): until then it runs nowhere. A lock holds until the VM is placed (VmPlaced clears it), `haven vm
/// cleanup` releases it, or shutdown-lock-limit (the DC's <see cref="VmPolicy.ShutdownLockLimit"/>, zero: none) has
/// passed since the replicated shutdown time — so a new DC computes the same expiry; then the VM is placed as usual.
/// A lock to a node where the VM's fail count bans it (migration-threshold) is not honoured: it could never run there.
/// </summary>
public static partial class VmRecovery
{
    /// <summary>Whether <paramref name="vm"/>'s shutdown-lock holds at <paramref name="now"/> (without a clock a lock does not expire).</summary>
    internal static bool LockHolds(VmInfo vm, VmPolicy policy, DateTimeOffset? now) =>
        vm.Lock is { } held && (policy.ShutdownLockLimit <= TimeSpan.Zero || now is not { } t || t < held.At + policy.ShutdownLockLimit);

    /// <summary>When the lock expires by shutdown-lock-limit (null: it holds until the node is back or a cleanup).</summary>
    internal static DateTimeOffset? LockExpiry(VmInfo vm, VmPolicy policy) =>
        vm.Lock is { } held && policy.ShutdownLockLimit > TimeSpan.Zero ? held.At + policy.ShutdownLockLimit : null;

    /// <summary>The VMs of hosts shutting down under shutdown-lock are stopped there (then locked to them), never moved.</summary>
    private static void StopOnShuttingDownHosts(Plan plan, IReadOnlyCollection<NodeId> view)
    {
        foreach (var vm in plan.State.Vms.Values.ToList())
            if (vm.State is VmRunState.Starting or VmRunState.Running && vm.Node is { } node && !vm.Unmanaged
                && plan.State.Nodes.TryGetValue(node, out var host) && host is { State: NodeState.Leaving, ShutdownAt: not null }
                && Acts(plan.State, view, node))
                plan.Add(new VmStopping(vm.Name, node, $"its host {host.Name} is shutting down (shutdown-lock: it stays locked to {host.Name})"));
    }

    /// <summary>
    /// The engine's view of a locked VM: its node back online, every other node banned; its node not back, not wanted
    /// (it runs nowhere and is started nowhere). A lock that no longer holds changes nothing.
    /// </summary>
    private static (bool Wanted, ImmutableArray<NodePreference> Preferences) Locked(ClusterState state, IReadOnlyCollection<NodeId> view,
        VmInfo vm, VmServices services, DateTimeOffset? now, bool wanted, ImmutableArray<NodePreference> preferences)
    {
        if (vm.Placed || !LockHolds(vm, services.Policy, now) || vm.Lock is not { } held) return (wanted, preferences);
        // Banned on its own node by its fail count (migration-threshold): the lock could never be honoured, so it is not.
        if (LockedWhereBanned(vm, held, services.Policy, now)) return (wanted, preferences);
        if (!state.Nodes.TryGetValue(held.Node, out var home) || Health(state, view, home) != NodeHealth.Online) return (false, preferences);
        return (wanted, [.. preferences.Where(p => p.Node == home.Name),
            .. state.Nodes.Values.Where(n => n.Id != held.Node).Select(n => new NodePreference(n.Name, PlacementScores.Banned))]);
    }

    private static bool LockedWhereBanned(VmInfo vm, VmShutdownLock held, VmPolicy policy, DateTimeOffset? now) =>
        BannedFor(vm, policy, now).Contains(held.Node);

    /// <summary>When the next shutdown-lock expires by shutdown-lock-limit (the DC runs a round then).</summary>
    private static DateTimeOffset? LocksExpireAt(ClusterState state, VmPolicy policy, DateTimeOffset now) =>
        state.Vms.Values.Where(v => !v.Placed && LockHolds(v, policy, now)).Select(v => LockExpiry(v, policy)).Where(e => e is not null).Min();

    /// <summary>`haven vm explain`'s line for a locked VM, or null.</summary>
    private static string? LockLine(ClusterState state, VmInfo vm, VmPolicy policy, DateTimeOffset? now)
    {
        if (vm.Lock is not { } held) return null;
        var node = NodeName(state, held.Node);
        if (!LockHolds(vm, policy, now)) return $"{vm.Name}: shutdown-lock to {node} since {held.At:u} expired (shutdown-lock-limit {policy.ShutdownLockLimit}): placed as usual";
        if (LockedWhereBanned(vm, held, policy, now))
            return $"{vm.Name}: shutdown-lock to {node} since {held.At:u} not honoured: its fail count bans it there (migration-threshold): placed as usual";
        return $"{vm.Name}: locked to {node} by shutdown-lock since {held.At:u} "
               + (LockExpiry(vm, policy) is { } until ? $"until {until:u}" : "until it is back")
               + $": it runs only there (`haven vm cleanup {vm.Name}` releases it)";
    }
}
