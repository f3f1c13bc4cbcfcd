using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.Cluster;

/// <summary>
/// A lost host that returns proves what it holds before it is readmitted (docs/cluster.md, "A host comes back"):
/// its <see cref="NodeHoldings"/> report, kept from the moment it is Down or Fenced until it joins again.
/// </summary>
public sealed partial record ClusterState
{
    /// <summary>What each Down or Fenced node reported holding since it last became so (<see cref="NodeHoldings"/>).</summary>
    public ImmutableDictionary<NodeId, NodeHoldings> Holdings { get; private init; } = ImmutableDictionary<NodeId, NodeHoldings>.Empty;

    /// <summary>
    /// Null when <paramref name="node"/> has reported what it holds and every VM and address it named is one this
    /// state places on it (so nothing the cluster moved elsewhere meanwhile still runs there); else why it may not
    /// rejoin yet.
    /// </summary>
    public string? HoldingsProblem(NodeId node)
    {
        if (!Holdings.TryGetValue(node, out var report)) return $"{Named(node)} has not reported what it holds since it was lost";
        foreach (var name in report.Vms.OrEmpty())
            if (!Vms.TryGetValue(name, out var vm) || (vm.Node != node && vm.Target != node))
                return $"{Named(node)} still runs VM {name}, which the cluster placed {(vm?.Node is { } n ? $"on {Named(n)}" : "nowhere")}; it must stop it first";
        foreach (var ip in report.Ips.OrEmpty())
            if (!Ips.TryGetValue(ip, out var held) || held.Node != node)
                return $"{Named(node)} still holds {ip}, which the cluster gave {(held is null ? "to nobody" : $"to {Named(held.Node)}")}; it must release it first";
        return null;
    }

    private (ClusterState?, string?) Report(NodeHoldings e)
    {
        if (!Nodes.TryGetValue(e.Node, out var info)) return (null, $"{Named(e.Node)} is not known");
        if (info.State is not (NodeState.Down or NodeState.Fenced))
            return (null, $"{Named(e.Node)} is {Lower(info.State)}; only a down or fenced node reports what it holds");
        var canonical = e with { Vms = [.. e.Vms.OrEmpty().Order(StringComparer.Ordinal)], Ips = [.. e.Ips.OrEmpty().Order(StringComparer.Ordinal)] };
        if (Holdings.TryGetValue(e.Node, out var last) && last.Equals(canonical)) return (null, $"{Named(e.Node)} already reported exactly this");
        return (this with { Holdings = Holdings.SetItem(e.Node, canonical), Version = Version + 1 }, null);
    }

    /// <summary>A report holds from the node's loss until it joins: joining, being downed or fenced again voids it.</summary>
    private static (ClusterState? State, string? Reason) ForgetHoldings(IClusterEvent e, (ClusterState? State, string? Reason) result)
    {
        if (result.State is not { } next || next.Holdings.IsEmpty) return result;
        NodeId? node = e switch
        {
            NodeJoined j => j.Node,
            NodeDown d => d.Node,
            NodeFenced f => f.Node,
            FenceSucceeded f => f.Target,
            FenceConfirmed f => f.Target,
            _ => null,
        };
        return node is { } n && next.Holdings.ContainsKey(n) ? (next with { Holdings = next.Holdings.Remove(n) }, null) : result;
    }
}
