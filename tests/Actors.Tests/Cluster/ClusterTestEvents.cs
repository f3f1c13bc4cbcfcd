using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Tests.Cluster;

internal static class ClusterTestEvents
{
    public static NodeId N(uint id) => new(id);

    /// <summary>Events that bring node <paramref name="id"/> from unknown to <paramref name="state"/>.</summary>
    public static IEnumerable<IClusterEvent> PathTo(uint id, NodeState state)
    {
        var node = N(id);
        yield return new NodeJoined(node, $"node{id}");
        if (state == NodeState.Joining) yield break;
        yield return new NodeUp(node);
        switch (state)
        {
            case NodeState.Unreachable: yield return new NodeUnreachable(node); break;
            case NodeState.Down: yield return new NodeDown(node, "test"); break;
            case NodeState.Fenced: yield return new NodeDown(node, "test"); yield return new NodeFenced(node, "test"); break;
            case NodeState.Leaving: yield return new NodeLeaving(node); break;
            case NodeState.Left: yield return new NodeLeaving(node); yield return new NodeLeft(node); break;
            case NodeState.Standby: yield return new NodeStandby(node); break;
            case NodeState.Maintenance: yield return new NodeMaintenance(node); break;
            case NodeState.Unhealthy: yield return new NodeUnhealthy(node, "monitor failed"); break;
        }
    }

    public static ClusterState With(uint id, NodeState state) => ClusterState.Empty.ApplyAll(PathTo(id, state));

    /// <summary>Three Up nodes 1..3.</summary>
    public static ClusterState ThreeUp() =>
        ClusterState.Empty.ApplyAll(new uint[] { 1, 2, 3 }.SelectMany(i => PathTo(i, NodeState.Up)));
}
