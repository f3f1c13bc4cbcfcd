using Haven.Actors.Cluster;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

/// <summary>ClusterState and FenceConfirmed: the operator's word that a node is off (haven fence confirm).</summary>
public sealed class FenceConfirmedStateTests
{
    private static ClusterState ThreeDown() => ThreeUp().ApplyAll([new NodeUnreachable(N(3)), new NodeDown(N(3), "minority")]);

    [Fact]
    public void OpenFenceRequest_IsClosedAndNodeIsFenced()
    {
        var state = ThreeDown().Apply(new FenceRequested(N(3), N(1), "lost"))
            .Apply(new FenceConfirmed(N(3), N(2), "pulled its power cords, ticket 4711"));

        Assert.Equal(NodeState.Fenced, state.StateOf(N(3)));
        Assert.Empty(state.PendingFences);
        Assert.Equal("no fence request for node3 is open", state.Validate(new FenceSucceeded(N(3), "ipmi")));
        Assert.Equal("no fence request for node3 is open", state.Validate(new FenceFailed(N(3), "late")));
    }

    [Fact]
    public void AfterFailedFences_NodeIsFencedAndTheFailuresAreCleared()
    {
        var state = ThreeDown().ApplyAll([new FenceRequested(N(3), N(1), "lost"), new FenceFailed(N(3), "fencing is off")]);
        Assert.Equal((1, "fencing is off"), (state.Nodes[N(3)].FenceFailures, state.Nodes[N(3)].FenceFailure));

        state = state.Apply(new FenceConfirmed(N(3), N(1), "host is powered off"));

        Assert.Equal(NodeState.Fenced, state.StateOf(N(3)));
        Assert.Equal((0, (string?)null), (state.Nodes[N(3)].FenceFailures, state.Nodes[N(3)].FenceFailure));
    }

    [Theory]
    [InlineData(NodeState.Up)]
    [InlineData(NodeState.Standby)]
    [InlineData(NodeState.Maintenance)]
    public void NodeThatIsNotLost_IsRejected(NodeState state)
    {
        var cluster = state switch
        {
            NodeState.Standby => ThreeUp().Apply(new NodeStandby(N(3))),
            NodeState.Maintenance => ThreeUp().Apply(new NodeMaintenance(N(3))),
            _ => ThreeUp(),
        };

        // the node by name and the states in the CLI's lower-case words
        Assert.Contains($"node3 cannot go from {state.ToString().ToLowerInvariant()} to fenced (allowed from down, unreachable, unhealthy)",
            cluster.Validate(new FenceConfirmed(N(3), N(1), "it is off")));
    }

    [Fact]
    public void AlreadyFencedNode_IsRejected() =>
        Assert.Contains("node3 cannot go from fenced to fenced",
            ThreeDown().Apply(new NodeFenced(N(3), "watchdog")).Validate(new FenceConfirmed(N(3), N(1), "it is off")));

    [Theory]
    [InlineData("", "a reason is needed")]
    [InlineData("   ", "a reason is needed")]
    [InlineData("off\nreally", "control character")]
    public void BadReason_IsRejected(string reason, string expected) =>
        Assert.Contains(expected, ThreeDown().Validate(new FenceConfirmed(N(3), N(1), reason)));

    [Fact]
    public void OverlongReason_IsRejectedWithTheLimit() =>
        Assert.Equal($"the reason is 501 characters; at most {FenceConfirmed.MaxReasonLength}",
            ThreeDown().Validate(new FenceConfirmed(N(3), N(1), new string('x', 501))));

    [Fact]
    public void ConfirmedByUnknownNodeOrByItself_IsRejected()
    {
        Assert.Equal("confirming node 9 is not known", ThreeDown().Validate(new FenceConfirmed(N(3), N(9), "it is off")));
        Assert.Equal("node3 cannot confirm itself off", ThreeDown().Validate(new FenceConfirmed(N(3), N(3), "it is off")));
    }

    [Fact]
    public void Confirmation_IsJournaledUnderItsManifestWithTheOperatorsWords()
    {
        var serializer = new Haven.Actors.Persistence.JsonEventSerializer(HavenManifests.CreateRegistry());
        var e = new FenceConfirmed(N(3), N(1), "pulled its power cords");

        var (manifest, payload) = serializer.Serialize(e);

        Assert.Equal("cluster.fence-confirmed.v1", manifest);
        Assert.Equal(e, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, DateTimeOffset.UnixEpoch, [])));
    }
}
