using Haven.Actors.Cluster;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

public sealed class ClusterStateTests
{
    [Fact]
    public void IpTaken_ByUpNode_Recorded()
    {
        var state = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.5", 24, N(2)));
        Assert.Equal(new IpAssignment("eth0", "10.0.0.5", 24, N(2)), state.Ips["10.0.0.5"]);
        Assert.Equal([new IpAssignment("eth0", "10.0.0.5", 24, N(2))], state.IpsOf(N(2)));
    }

    [Fact]
    public void IpTaken_HeldByAnotherNode_RejectedNamingTheHolder()
    {
        var state = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.5", 24, N(2)));
        Assert.Equal("10.0.0.5 is held by node2; it must be released first", state.Validate(new IpTaken("eth1", "10.0.0.5", 24, N(3))));
        Assert.Equal("node2 already holds 10.0.0.5", state.Validate(new IpTaken("eth0", "10.0.0.5", 24, N(2))));
    }

    [Fact]
    public void IpTaken_SameAddressWrittenDifferently_SameKey()
    {
        var state = ThreeUp().Apply(new IpTaken("eth0", "2001:DB8:0::1", 64, N(1)));
        Assert.NotNull(state.Validate(new IpTaken("eth0", "2001:db8::1", 64, N(2))));
        Assert.True(state.Ips.ContainsKey("2001:db8::1"));
    }

    [Theory]
    [InlineData("eth0", "10.0.0.300", 24, "'10.0.0.300' is not an IP address")]
    [InlineData("eth0", "10.0.0.1", 33, "mask /33 is out of range for 10.0.0.1 (0..32)")]
    [InlineData("", "10.0.0.1", 24, "interface '' is not a valid interface name")]
    [InlineData("eth0", "2001:db8::1", 129, "mask /129 is out of range for 2001:db8::1 (0..128)")]
    public void IpTaken_BadAddress_RejectedWithReason(string iface, string ip, int mask, string reason)
    {
        Assert.Equal(reason, ThreeUp().Validate(new IpTaken(iface, ip, mask, N(1))));
    }

    [Theory]
    [InlineData(NodeState.Joining)]
    [InlineData(NodeState.Standby)]
    [InlineData(NodeState.Unhealthy)]
    [InlineData(NodeState.Unreachable)]
    public void IpTaken_NodeNotUp_Rejected(NodeState state)
    {
        Assert.Contains($"is {state.ToString().ToLowerInvariant()}", With(1, state).Validate(new IpTaken("eth0", "10.0.0.5", 24, N(1))));
    }

    [Fact]
    public void IpReleased_ByHolder_RemovesAndOtherMayTake()
    {
        var state = ThreeUp()
            .Apply(new IpTaken("eth0", "10.0.0.5", 24, N(2)))
            .Apply(new IpReleased("eth0", "10.0.0.5", 24, N(2)))
            .Apply(new IpTaken("eth0", "10.0.0.5", 24, N(3)));
        Assert.Equal(N(3), state.Ips["10.0.0.5"].Node);
    }

    [Fact]
    public void IpReleased_NotHolderOrNotHeldOrOtherInterface_Rejected()
    {
        var state = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.5", 24, N(2)));
        Assert.Equal("10.0.0.5 is held by node2, not node3", state.Validate(new IpReleased("eth0", "10.0.0.5", 24, N(3))));
        Assert.Equal("10.0.0.6 is not held by any node", state.Validate(new IpReleased("eth0", "10.0.0.6", 24, N(2))));
        Assert.Equal("10.0.0.5 is on eth0, not eth1", state.Validate(new IpReleased("eth1", "10.0.0.5", 24, N(2))));
    }

    [Fact]
    public void IpReleased_ForFencedHolder_AllowedSoAnotherNodeCanTakeOver()
    {
        var state = ThreeUp()
            .Apply(new IpTaken("eth0", "10.0.0.5", 24, N(2)))
            .ApplyAll([new NodeUnreachable(N(2)), new NodeDown(N(2), "minority"), new FenceRequested(N(2), N(1), "lost")]);
        Assert.NotNull(state.Validate(new IpTaken("eth0", "10.0.0.5", 24, N(1))));
        state = state.ApplyAll([new FenceSucceeded(N(2), "ipmi"), new IpReleased("eth0", "10.0.0.5", 24, N(2)), new IpTaken("eth0", "10.0.0.5", 24, N(1))]);
        Assert.Equal(N(1), state.Ips["10.0.0.5"].Node);
    }

    [Fact]
    public void NodeLeft_WhileHoldingAddress_Rejected()
    {
        var state = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.5", 24, N(2))).Apply(new NodeLeaving(N(2)));
        Assert.Contains("still holds 10.0.0.5", state.Validate(new NodeLeft(N(2))));
        state = state.Apply(new IpReleased("eth0", "10.0.0.5", 24, N(2))).Apply(new NodeLeft(N(2)));
        Assert.Equal(NodeState.Left, state.StateOf(N(2)));
    }

    [Fact]
    public void PartitionDemoted_BlocksTakingAndDcUntilRejoin()
    {
        var state = ThreeUp().Apply(new PartitionDemoted(N(3)));
        Assert.Contains(N(3), state.Demoted);
        Assert.Contains("demoted", state.Validate(new IpTaken("eth0", "10.0.0.5", 24, N(3))));
        Assert.Contains("demoted", state.Validate(new DcChanged(N(3))));
        Assert.Equal("node3 is already demoted", state.Validate(new PartitionDemoted(N(3))));
        state = state.ApplyAll([new NodeUnreachable(N(3)), new NodeUp(N(3))]);
        Assert.DoesNotContain(N(3), state.Demoted);
    }

    [Fact]
    public void ExpectedDc_LowestActiveUndemotedNode()
    {
        var state = ThreeUp();
        Assert.Equal(N(1), state.ExpectedDc);
        state = state.Apply(new NodeUnreachable(N(1)));
        Assert.Equal(N(2), state.ExpectedDc);
        state = state.Apply(new NodeStandby(N(2)));
        Assert.Equal(N(2), state.ExpectedDc);
        state = state.Apply(new PartitionDemoted(N(2))).Apply(new PartitionDemoted(N(3)));
        Assert.Null(state.ExpectedDc);
    }

    [Fact]
    public void DesignatedCoordinator_Select_LowestIdRegardlessOfOrder()
    {
        Assert.Equal(N(2), DesignatedCoordinator.Select([N(7), N(2), N(5)]));
        Assert.Null(DesignatedCoordinator.Select([]));
    }

    [Fact]
    public void DcChanged_ToActiveMember_RecordedAndSameDcRejected()
    {
        var state = ThreeUp().Apply(new DcChanged(N(1)));
        Assert.Equal(N(1), state.Dc);
        Assert.Equal("the DC is already 1", state.Validate(new DcChanged(N(1))));
        Assert.Contains("must be an active member", state.Apply(new NodeUnreachable(N(2))).Validate(new DcChanged(N(2))));
        Assert.Null(state.Apply(new DcChanged(null)).Dc);
    }

    [Fact]
    public void Recovery_StartCompleteCycle_GenerationGrows()
    {
        var state = ThreeUp().Apply(new RecoveryStarted(N(1)));
        Assert.True(state.RecoveryInProgress);
        Assert.Equal(1, state.RecoveryGeneration);
        Assert.Contains("still in progress", state.Validate(new RecoveryStarted(N(1))));
        state = state.Apply(new IpReallocated()).Apply(new RecoveryCompleted());
        Assert.False(state.RecoveryInProgress);
        Assert.Equal(1, state.IpReallocations);
        Assert.Equal("no recovery is in progress", state.Validate(new RecoveryCompleted()));
        Assert.Equal(2, state.Apply(new RecoveryStarted(N(2))).RecoveryGeneration);
        Assert.Contains("not an Up node", With(1, NodeState.Standby).Validate(new RecoveryStarted(N(1))));
    }

    [Fact]
    public void Fence_RequestFailRetrySucceed_TracksFailuresAndFencesNode()
    {
        var state = ThreeUp().ApplyAll([new NodeUnreachable(N(3)), new NodeDown(N(3), "minority"), new FenceRequested(N(3), N(1), "lost")]);
        Assert.Contains("already open", state.Validate(new FenceRequested(N(3), N(1), "again")));
        state = state.Apply(new FenceFailed(N(3), "timeout"));
        Assert.Empty(state.PendingFences);
        Assert.Equal(1, state.Nodes[N(3)].FenceFailures);
        Assert.Equal("no fence request for node3 is open", state.Validate(new FenceSucceeded(N(3), "ipmi")));
        state = state.ApplyAll([new FenceRequested(N(3), N(1), "retry"), new FenceSucceeded(N(3), "ipmi")]);
        Assert.Equal(NodeState.Fenced, state.StateOf(N(3)));
        Assert.Equal(0, state.Nodes[N(3)].FenceFailures);
        Assert.Contains("fence target node3 is already fenced", state.Validate(new FenceRequested(N(3), N(1), "again")));
    }

    [Fact]
    public void FenceRequestOpen_TargetNeitherComesUpNorJoins_UntilFencedOrTheRequestFails()
    {
        var state = ThreeUp().ApplyAll([new NodeUnreachable(N(3)), new FenceRequested(N(3), N(1), "lost")]);
        Assert.Contains("a fence request for node3 is open", state.Validate(new NodeUp(N(3))));
        var down = state.Apply(new NodeDown(N(3), "lost"));
        Assert.Contains("a fence request for node3 is open", down.Validate(new NodeJoined(N(3), "node3")));
        Assert.Null(down.Validate(new FenceSucceeded(N(3), "ipmi")));
        Assert.Null(down.Apply(new FenceFailed(N(3), "no answer")).Validate(new NodeJoined(N(3), "node3")));
    }

    [Theory]
    [InlineData(NodeState.Up)]
    [InlineData(NodeState.Joining)]
    [InlineData(NodeState.Standby)]
    public void FenceRequested_ForAMember_IsRefused(NodeState state)
    {
        var cluster = state switch
        {
            NodeState.Joining => ThreeUp().ApplyAll([new NodeDown(N(3), "x"), new NodeFenced(N(3), "x"), new NodeJoined(N(3), "node3")]),
            NodeState.Standby => ThreeUp().Apply(new NodeStandby(N(3))),
            _ => ThreeUp(),
        };
        // the node by name and the states in the CLI's lower-case words
        Assert.Equal($"fence target node3 is {state.ToString().ToLowerInvariant()}; only a down, unreachable or unhealthy node is fenced (down it first)",
            cluster.Validate(new FenceRequested(N(3), N(1), "operator")));
    }

    [Fact]
    public void NodeFenced_WithOpenRequest_ClosesIt()
    {
        var state = ThreeUp().ApplyAll([new NodeUnreachable(N(3)), new FenceRequested(N(3), N(1), "lost"), new NodeFenced(N(3), "watchdog")]);
        Assert.Empty(state.PendingFences);
        Assert.Equal(NodeState.Fenced, state.StateOf(N(3)));
    }

    [Fact]
    public void Apply_NullEvent_Rejected()
    {
        Assert.Equal("the event is null", ClusterState.Empty.Validate(null!));
    }
}
