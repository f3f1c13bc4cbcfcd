using Haven.Actors.Cluster;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

/// <summary>Every node event from every node state, against a transition table written out here.</summary>
public sealed class NodeTransitionTests
{
    // Rows: event; columns: from-state in NodeState order
    // Joining Up Unreachable Down Fenced Leaving Left Standby Maintenance Unhealthy; '.' = rejected.
    private static readonly Dictionary<string, (string Row, NodeState To)> Table = new()
    {
        ["NodeJoined"] = ("...JJ.J...", NodeState.Joining),
        ["NodeUp"] = ("U.U..U.UU.", NodeState.Up), // from Leaving: a leaving host that restarted
        ["NodeUnreachable"] = ("RR...R.RRR", NodeState.Unreachable),
        ["NodeDown"] = ("DDD..D.DDD", NodeState.Down),
        ["NodeFenced"] = ("..FF.....F", NodeState.Fenced),
        ["NodeLeaving"] = ("LL.....LLL", NodeState.Leaving),
        ["NodeLeft"] = (".....X....", NodeState.Left),
        ["NodeStandby"] = (".S......SS", NodeState.Standby),
        ["NodeMaintenance"] = (".M.....M.M", NodeState.Maintenance),
        ["NodeUnhealthy"] = (".H.....H..", NodeState.Unhealthy),
        ["NodeHealthy"] = (".........Y", NodeState.Up),
    };

    private static IClusterEvent Make(string name) => name switch
    {
        "NodeJoined" => new NodeJoined(N(1), "node1"),
        "NodeUp" => new NodeUp(N(1)),
        "NodeUnreachable" => new NodeUnreachable(N(1)),
        "NodeDown" => new NodeDown(N(1), "split brain"),
        "NodeFenced" => new NodeFenced(N(1), "ipmi"),
        "NodeLeaving" => new NodeLeaving(N(1)),
        "NodeLeft" => new NodeLeft(N(1)),
        "NodeStandby" => new NodeStandby(N(1)),
        "NodeMaintenance" => new NodeMaintenance(N(1)),
        "NodeUnhealthy" => new NodeUnhealthy(N(1), "monitor"),
        "NodeHealthy" => new NodeHealthy(N(1)),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    public static TheoryData<string, NodeState> Cases()
    {
        var data = new TheoryData<string, NodeState>();
        foreach (var name in Table.Keys)
        foreach (var from in Enum.GetValues<NodeState>())
            data.Add(name, from);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void NodeEvent_FromEveryState_AppliedOnlyWhenTableAllows(string eventName, NodeState from)
    {
        var (row, to) = Table[eventName];
        var allowed = row[(int)from] != '.';
        var before = With(1, from);
        var e = Make(eventName);

        var applied = before.TryApply(e, out var after, out var reason);

        Assert.Equal(allowed, applied);
        if (allowed)
        {
            Assert.Null(reason);
            Assert.Equal(to, after.StateOf(N(1)));
            Assert.Equal(before.Version + 1, after.Version);
        }
        else
        {
            Assert.NotNull(reason);
            Assert.Contains("node1", reason); // by name, not "node 1"
            Assert.Same(before, after);
            var error = Assert.Throws<ClusterEventRejectedException>(() => before.Apply(e));
            Assert.Equal(reason, error.Reason);
            Assert.Same(e, error.Event);
        }
    }

    [Fact]
    public void NodeJoined_UnknownNode_JoiningWithNextJoinOrder()
    {
        var state = ClusterState.Empty.Apply(new NodeJoined(N(5), "node5")).Apply(new NodeJoined(N(2), "node2"));
        Assert.Equal(new NodeInfo(N(5), "node5", NodeState.Joining, 1), state.Nodes[N(5)]);
        Assert.Equal(2, state.Nodes[N(2)].JoinOrder);
    }

    [Fact]
    public void NodeJoined_RejoinAfterFencing_GetsNewerJoinOrder()
    {
        var state = With(1, NodeState.Fenced).Apply(new NodeJoined(N(1), "node1"));
        Assert.Equal(2, state.Nodes[N(1)].JoinOrder);
    }

    [Fact]
    public void NodeEvent_UnknownNode_Rejected()
    {
        Assert.Equal("node 9 is not known", ClusterState.Empty.Validate(new NodeUp(N(9))));
    }

    [Fact]
    public void NodeJoined_EmptyNameOrIdZero_Rejected()
    {
        Assert.Contains("without a name", ClusterState.Empty.Validate(new NodeJoined(N(1), " ")));
        Assert.Contains("id 0", ClusterState.Empty.Validate(new NodeJoined(N(0), "x")));
    }
}
