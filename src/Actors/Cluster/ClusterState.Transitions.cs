using System.Net;
using System.Net.Sockets;
using Haven.Actors.Membership;

namespace Haven.Actors.Cluster;

public sealed partial record ClusterState
{
    private static readonly NodeState[] FromJoining = [NodeState.Down, NodeState.Fenced, NodeState.Left];
    private static readonly NodeState[] ToUp = [NodeState.Joining, NodeState.Unreachable, NodeState.Standby, NodeState.Maintenance, NodeState.Leaving];
    private static readonly NodeState[] ToUnreachable =
        [NodeState.Joining, NodeState.Up, NodeState.Standby, NodeState.Maintenance, NodeState.Unhealthy, NodeState.Leaving];
    private static readonly NodeState[] ToDown =
        [NodeState.Joining, NodeState.Up, NodeState.Standby, NodeState.Maintenance, NodeState.Unhealthy, NodeState.Leaving, NodeState.Unreachable];
    private static readonly NodeState[] ToFenced = [NodeState.Down, NodeState.Unreachable, NodeState.Unhealthy];
    private static readonly NodeState[] ToLeaving =
        [NodeState.Joining, NodeState.Up, NodeState.Standby, NodeState.Maintenance, NodeState.Unhealthy];
    private static readonly NodeState[] ToLeft = [NodeState.Leaving];
    private static readonly NodeState[] ToStandby = [NodeState.Up, NodeState.Maintenance, NodeState.Unhealthy];
    private static readonly NodeState[] ToMaintenance = [NodeState.Up, NodeState.Standby, NodeState.Unhealthy];
    private static readonly NodeState[] ToUnhealthy = [NodeState.Up, NodeState.Standby];
    private static readonly NodeState[] ToHealthy = [NodeState.Unhealthy];

    /// <summary>The next state, or null with the reason the event is rejected.</summary>
    private (ClusterState? State, string? Reason) Transition(IClusterEvent clusterEvent) => ForgetHoldings(clusterEvent, NextState(clusterEvent));

    private (ClusterState? State, string? Reason) NextState(IClusterEvent clusterEvent) => clusterEvent switch
    {
        null => (null, "the event is null"),
        NodeHoldings e => Report(e),
        NodeJoined e => Joined(e),
        NodeUp e => Move(e.Node, ToUp, NodeState.Up, undemote: true).WithoutShutdown(e.Node),
        NodeUnreachable e => Move(e.Node, ToUnreachable, NodeState.Unreachable),
        NodeDown e => Downed(e),
        NodeFenced e => Fenced(e).FencedFor(e.Node),
        NodeLeaving e => Move(e.Node, ToLeaving, NodeState.Leaving).WithShutdown(e.Node, e.ShutdownAt),
        NodeLeft e => Left(e),
        NodeStandby e => Move(e.Node, ToStandby, NodeState.Standby),
        NodeMaintenance e => Move(e.Node, ToMaintenance, NodeState.Maintenance),
        NodeUnhealthy e => Move(e.Node, ToUnhealthy, NodeState.Unhealthy),
        NodeHealthy e => Move(e.Node, ToHealthy, NodeState.Up),
        PartitionDemoted e => Demote(e),
        DcChanged e => ChangeDc(e),
        RecoveryStarted e => StartRecovery(e),
        RecoveryCompleted => RecoveryInProgress
            ? (this with { RecoveryInProgress = false, Version = Version + 1 }, null)
            : (null, "no recovery is in progress"),
        IpTaken e => Take(e),
        IpReleased e => Release(e),
        IpReallocated => (this with { IpReallocations = IpReallocations + 1, Version = Version + 1 }, null),
        FenceRequested e => RequestFence(e),
        FenceSucceeded e => FenceDone(e).FencedFor(e.Target),
        FenceFailed e => FenceFailedFor(e),
        FenceConfirmed e => ConfirmedOff(e).FencedFor(e.Target),
        PrimaryFormed e => e.Epoch != Epoch + 1 ? (null, $"epoch {e.Epoch} does not follow {Epoch}")
            : (this with { Epoch = e.Epoch, PrimaryMembers = PrimaryMembers.Union(e.Members.IsDefault ? [] : e.Members), Version = Version + 1 }, null),
        HeuristicsChanged e => !Nodes.ContainsKey(e.Node) ? (null, $"{Named(e.Node)} is not known")
            : Heuristics.TryGetValue(e.Node, out var was) && was == e.Reachable ? (null, $"{Named(e.Node)} already reported {(e.Reachable ? "reachable" : "unreachable")}")
            : (this with { Heuristics = Heuristics.SetItem(e.Node, e.Reachable), Version = Version + 1 }, null),
        _ => SettingsTransition(clusterEvent) ?? VmTransition(clusterEvent) ?? (null, $"unknown event type {clusterEvent.GetType().Name}"),
    };

    private (ClusterState?, string?) Joined(NodeJoined e)
    {
        if (e.Node.Value == 0) return (null, "node id 0 is not valid");
        if (string.IsNullOrWhiteSpace(e.Name)) return (null, $"{Named(e.Node)} joined without a name");
        if (Nodes.TryGetValue(e.Node, out var existing) && Array.IndexOf(FromJoining, existing.State) < 0)
            return (null, $"{Named(e.Node)} is {Lower(existing.State)}; only an unknown, down, fenced or left node can join");
        if (PendingFences.ContainsKey(e.Node)) return (null, FenceOpen(e.Node, "join"));
        var info = new NodeInfo(e.Node, e.Name, NodeState.Joining, NextJoinOrder, existing?.FenceFailures ?? 0);
        return (this with
        {
            Nodes = Nodes.SetItem(e.Node, info),
            NextJoinOrder = NextJoinOrder + 1,
            Demoted = Demoted.Remove(e.Node),
            // Back in the cluster, the last holder could answer again: what it held is probed before it is taken.
            VacatedByFence = VacatedByFence.RemoveRange(VacatedByFence.Where(v => v.Value == e.Node).Select(v => v.Key)),
            Version = Version + 1,
        }, null);
    }

    private (ClusterState?, string?) Move(NodeId node, NodeState[] allowedFrom, NodeState to, bool undemote = false)
    {
        if (!Nodes.TryGetValue(node, out var info)) return (null, $"{Named(node)} is not known");
        if (Array.IndexOf(allowedFrom, info.State) < 0)
            return (null, $"{Named(node)} cannot go from {Lower(info.State)} to {Lower(to)} (allowed from {string.Join(", ", allowedFrom.Select(s => Lower(s)))})");
        if (to is not (NodeState.Down or NodeState.Fenced) && PendingFences.ContainsKey(node)) return (null, FenceOpen(node, $"go {Lower(to)}"));
        return (this with
        {
            Nodes = Nodes.SetItem(node, info with { State = to }),
            Demoted = undemote ? Demoted.Remove(node) : Demoted,
            Version = Version + 1,
        }, null);
    }

    /// <summary>
    /// A known node goes Down from any member state. A node this stream never saw join goes Down only when it
    /// was a member of a primary partition (it may hold resources through events this stream never received);
    /// it is recorded under <see cref="NodeDown.Name"/> so that it can be fenced.
    /// </summary>
    private (ClusterState?, string?) Downed(NodeDown e)
    {
        if (Nodes.ContainsKey(e.Node) || e.Name is null) return Move(e.Node, ToDown, NodeState.Down);
        if (!PrimaryMembers.Contains(e.Node)) return (null, $"{Named(e.Node)} is not known and was never a member of a primary partition");
        if (string.IsNullOrWhiteSpace(e.Name)) return (null, $"{Named(e.Node)} is downed without a name");
        var info = new NodeInfo(e.Node, e.Name, NodeState.Down, long.MaxValue - 1000 + e.Node.Value);
        return (this with { Nodes = Nodes.SetItem(e.Node, info), Version = Version + 1 }, null);
    }

    /// <summary>
    /// Null when a resource nobody holds may be given to a node now, else why not: every node that may hold
    /// resources this state does not show (<see cref="UncleanNodes"/>) must be fenced or have left first.
    /// </summary>
    private string? UnheldResourcesBlocked(string what)
    {
        var unclean = UncleanNodes.ToList();
        return unclean.Count == 0 ? null
            : $"{what} is held by nobody in this state, but node{(unclean.Count > 1 ? "s" : "")} {string.Join(", ", unclean)} "
              + $"may hold it through events this partition never received; it is given to no node until {(unclean.Count > 1 ? "they are" : "it is")} fenced or {(unclean.Count > 1 ? "have" : "has")} left";
    }

    /// <summary>Fencing confirmed outside a tracked request also closes any open request for the node.</summary>
    private (ClusterState?, string?) Fenced(NodeFenced e)
    {
        var (moved, reason) = Move(e.Node, ToFenced, NodeState.Fenced);
        if (moved is not null) moved = moved with { Nodes = moved.Nodes.SetItem(e.Node, moved.Nodes[e.Node] with { OffByDevice = false }) };
        return moved is null || !PendingFences.ContainsKey(e.Node)
            ? (moved, reason)
            : (moved with { PendingFences = PendingFences.Remove(e.Node) }, null);
    }

    private (ClusterState?, string?) Left(NodeLeft e)
    {
        foreach (var assignment in Ips.Values)
            if (assignment.Node == e.Node)
                return (null, $"{Named(e.Node)} still holds {assignment.Ip}; it must release its addresses before it leaves");
        foreach (var vm in Vms.Values)
            if (vm.Node == e.Node || vm.Target == e.Node)
                return (null, $"{Named(e.Node)} still has VM {vm.Name} ({Lower(vm.State)}); its VMs must move or stop before it leaves");
        return Move(e.Node, ToLeft, NodeState.Left);
    }

    private (ClusterState?, string?) Demote(PartitionDemoted e)
    {
        if (!Nodes.TryGetValue(e.Node, out var info)) return (null, $"{Named(e.Node)} is not known");
        if (info.State is NodeState.Left or NodeState.Fenced) return (null, $"{Named(e.Node)} is {Lower(info.State)}; there is nothing to demote");
        if (Demoted.Contains(e.Node)) return (null, $"{Named(e.Node)} is already demoted");
        return (this with { Demoted = Demoted.Add(e.Node), Version = Version + 1 }, null);
    }

    private (ClusterState?, string?) ChangeDc(DcChanged e)
    {
        if (e.Dc == Dc) return (null, $"the DC is already {(Dc is { } dc ? dc.ToString() : "none")}");
        if (e.Dc is { } node)
        {
            if (!Nodes.TryGetValue(node, out var info)) return (null, $"{Named(node)} is not known");
            if (!IsActiveMember(info.State)) return (null, $"{Named(node)} is {Lower(info.State)}; the DC must be an active member");
            if (Demoted.Contains(node)) return (null, $"{Named(node)} is demoted; it cannot be the DC");
        }
        return (this with { Dc = e.Dc, Version = Version + 1 }, null);
    }

    private (ClusterState?, string?) StartRecovery(RecoveryStarted e)
    {
        if (RecoveryInProgress) return (null, $"recovery generation {RecoveryGeneration} is still in progress");
        if (StateOf(e.Coordinator) != NodeState.Up) return (null, $"coordinator {e.Coordinator} is not an Up node");
        return (this with
        {
            RecoveryGeneration = RecoveryGeneration + 1,
            RecoveryInProgress = true,
            RecoveryCoordinator = e.Coordinator,
            Version = Version + 1,
        }, null);
    }

    private (ClusterState?, string?) Take(IpTaken e)
    {
        if (CheckAddress(e.Interface, e.Ip, e.Mask, out var ip) is { } bad) return (null, bad);
        if (!Nodes.TryGetValue(e.Node, out var info)) return (null, $"{Named(e.Node)} is not known");
        if (info.State != NodeState.Up) return (null, $"{Named(e.Node)} is {Lower(info.State)}; only an up node takes addresses");
        if (Demoted.Contains(e.Node)) return (null, $"{Named(e.Node)} is demoted; it takes nothing until it rejoins");
        if (Ips.TryGetValue(ip, out var held))
            return (null, held.Node == e.Node
                ? $"{Named(e.Node)} already holds {ip}"
                : $"{ip} is held by {Named(held.Node)}; it must be released first");
        if (UnheldResourcesBlocked(ip) is { } blocked) return (null, blocked);
        return (this with
        {
            Ips = Ips.Add(ip, new IpAssignment(e.Interface, ip, e.Mask, e.Node)),
            IpHoldings = IpHoldings.SetItem(ip, Version + 1),
            VacatedByFence = VacatedByFence.Remove(ip),
            Version = Version + 1,
        }, null);
    }

    private (ClusterState?, string?) Release(IpReleased e)
    {
        if (CheckAddress(e.Interface, e.Ip, e.Mask, out var ip) is { } bad) return (null, bad);
        if (!Ips.TryGetValue(ip, out var held)) return (null, $"{ip} is not held by any node");
        if (held.Node != e.Node) return (null, $"{ip} is held by {Named(held.Node)}, not {Named(e.Node)}");
        if (held.Interface != e.Interface) return (null, $"{ip} is on {held.Interface}, not {e.Interface}");
        if (e.Holding != 0 && e.Holding != HoldingOf(ip))
            return (null, $"{ip}: this release answers an earlier holding by {Named(e.Node)} (#{e.Holding}); it holds it again since #{HoldingOf(ip)}");
        // Held until now by a host a device confirmed off: nobody answers for it any more.
        var offByDevice = Nodes.TryGetValue(e.Node, out var holder) && holder is { State: NodeState.Fenced, OffByDevice: true };
        return (this with
        {
            Ips = Ips.Remove(ip),
            IpHoldings = IpHoldings.Remove(ip),
            VacatedByFence = offByDevice ? VacatedByFence.SetItem(ip, e.Node) : VacatedByFence.Remove(ip),
            Version = Version + 1,
        }, null);
    }

    private (ClusterState?, string?) RequestFence(FenceRequested e)
    {
        if (!Nodes.TryGetValue(e.Target, out var target)) return (null, $"fence target {e.Target} is not known");
        if (target.State is NodeState.Fenced or NodeState.Left) return (null, $"fence target {Named(e.Target)} is already {Lower(target.State)}");
        // Only a node a confirmation can move to Fenced is fenced: a request for a member would stay open for ever
        // (its FenceSucceeded refused) and keep the whole cluster unclean (seed 1947055027: an operator's `cluster down`
        // planned on a state where the node was Down reached the stream after the node had rejoined).
        if (Array.IndexOf(ToFenced, target.State) < 0)
            return (null, $"fence target {Named(e.Target)} is {Lower(target.State)}; only a down, unreachable or unhealthy node is fenced (down it first)");
        if (!Nodes.ContainsKey(e.RequestedBy)) return (null, $"fence requester {e.RequestedBy} is not known");
        if (PendingFences.ContainsKey(e.Target)) return (null, $"a fence request for {Named(e.Target)} is already open");
        return (this with
        {
            PendingFences = PendingFences.Add(e.Target, new FenceRequest(e.Target, e.RequestedBy, e.Reason)),
            Version = Version + 1,
        }, null);
    }

    private (ClusterState?, string?) FenceDone(FenceSucceeded e)
    {
        if (!PendingFences.ContainsKey(e.Target)) return (null, $"no fence request for {Named(e.Target)} is open");
        var (moved, reason) = Move(e.Target, ToFenced, NodeState.Fenced);
        if (moved is null) return (null, reason);
        var info = moved.Nodes[e.Target];
        return (moved with
        {
            Nodes = moved.Nodes.SetItem(e.Target, info with { FenceFailures = 0, FenceFailure = null, OffByDevice = true }),
            PendingFences = PendingFences.Remove(e.Target),
        }, null);
    }

    /// <summary>The operator's confirmation: like a device's, it closes an open request and clears the failures counted.</summary>
    private (ClusterState?, string?) ConfirmedOff(FenceConfirmed e)
    {
        if (FenceConfirmed.ReasonProblem(e.Reason) is { } bad) return (null, bad);
        if (!Nodes.ContainsKey(e.ConfirmedOn)) return (null, $"confirming {Named(e.ConfirmedOn)} is not known");
        if (e.ConfirmedOn == e.Target) return (null, $"{Named(e.Target)} cannot confirm itself off");
        var (moved, reason) = Move(e.Target, ToFenced, NodeState.Fenced);
        if (moved is null) return (null, reason);
        return (moved with
        {
            Nodes = moved.Nodes.SetItem(e.Target, moved.Nodes[e.Target] with { FenceFailures = 0, FenceFailure = null, OffByDevice = false }),
            PendingFences = moved.PendingFences.Remove(e.Target),
        }, null);
    }

    private (ClusterState?, string?) FenceFailedFor(FenceFailed e)
    {
        if (!PendingFences.ContainsKey(e.Target)) return (null, $"no fence request for {Named(e.Target)} is open");
        var info = Nodes[e.Target];
        return (this with
        {
            Nodes = Nodes.SetItem(e.Target, info with { FenceFailures = info.FenceFailures + 1, FenceFailure = e.Reason }),
            PendingFences = PendingFences.Remove(e.Target),
            Version = Version + 1,
        }, null);
    }

    private string FenceOpen(NodeId node, string what) =>
        $"a fence request for {Named(node)} is open: it is fenced, or the request fails, before it may {what}";

    private static string? CheckAddress(string iface, string ip, int mask, out string canonical)
    {
        canonical = ip;
        if (string.IsNullOrWhiteSpace(iface) || iface.Length > 15 || iface.Any(c => c is '/' or ' ' or ':'))
            return $"interface '{iface}' is not a valid interface name";
        if (!IPAddress.TryParse(ip, out var address)) return $"'{ip}' is not an IP address";
        var maxMask = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        if (mask < 0 || mask > maxMask) return $"mask /{mask} is out of range for {ip} (0..{maxMask})";
        canonical = address.ToString();
        return null;
    }
}
