using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// The rule that closes the "stale history" class (issue "Safety swarm", docs/cluster.md): a node that may
/// hold resources this state does not show is unclean, and nothing held by nobody is given to any node until
/// every unclean node is fenced or has left.
/// </summary>
public sealed class UncleanNodeTests
{
    private static VmSpec Vm(string name) => new(name, "process", "/bin/true");

    [Fact]
    public void PrimaryFormed_RecordsItsMembers()
    {
        var state = ClusterState.Empty.Apply(new PrimaryFormed(1, [N(1), N(2)])).Apply(new PrimaryFormed(2, [N(2), N(3)]));

        Assert.Equal([N(1), N(2), N(3)], state.PrimaryMembers);
    }

    [Fact]
    public void PrimaryMemberNeverSeenJoining_IsUnclean_AndBlocksUnheldAddresses()
    {
        // n1 and n2 formed a primary; n1's joins (and its takes) reached only n1 before n2 crashed.
        var state = ClusterState.Empty.Apply(new PrimaryFormed(1, [N(1), N(2)])).ApplyAll(PathTo(2, NodeState.Up)).ApplyAll(PathTo(3, NodeState.Up));

        Assert.Equal([N(1)], state.UncleanNodes);
        var why = state.Validate(new IpTaken("eth0", "10.0.0.11", 24, N(2)));
        Assert.NotNull(why);
        Assert.Contains("node 1 may hold it", why);
    }

    [Fact]
    public void PrimaryMemberNeverSeenJoining_IsDownedUnderItsName_ThenFenced_ThenUnheldResourcesMayBePlaced()
    {
        var state = ClusterState.Empty.Apply(new PrimaryFormed(1, [N(1), N(2)])).ApplyAll(PathTo(2, NodeState.Up))
            .Apply(new VmAdded(Vm("VM-01")));
        Assert.Contains("node 1", state.Validate(new VmPlaced("VM-01", N(2))));

        state = state.Apply(new NodeDown(N(1), "lost", "n1"));
        Assert.Equal(NodeState.Down, state.StateOf(N(1)));
        Assert.Equal("n1", state.Nodes[N(1)].Name);
        state = state.Apply(new FenceRequested(N(1), N(2), "lost")).Apply(new FenceSucceeded(N(1), "pdu"));

        Assert.Empty(state.UncleanNodes);
        state = state.Apply(new VmPlaced("VM-01", N(2))).Apply(new IpTaken("eth0", "10.0.0.11", 24, N(2)));
        Assert.Equal(N(2), state.Vms["VM-01"].Node);
        Assert.Equal(N(2), state.Ips["10.0.0.11"].Node);
    }

    [Fact]
    public void NodeDown_OfANodeNeverInAPrimary_IsRejected()
    {
        var state = ThreeUp();

        Assert.Contains("never a member of a primary partition", state.Validate(new NodeDown(N(4), "lost", "n4")));
        Assert.Contains("not known", state.Validate(new NodeDown(N(4), "lost")));
    }

    [Theory]
    [InlineData(NodeState.Down)]
    [InlineData(NodeState.Unreachable)]
    public void LostNode_BlocksUnheldResources_ButNotWhatMembersHold(NodeState lost)
    {
        var state = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.12", 24, N(2))).Apply(new VmAdded(Vm("VM-01")));
        state = lost == NodeState.Down ? state.ApplyAll([new NodeUnreachable(N(3)), new NodeDown(N(3), "lost")]) : state.Apply(new NodeUnreachable(N(3)));

        Assert.Equal([N(3)], state.UncleanNodes);
        Assert.NotNull(state.Validate(new IpTaken("eth0", "10.0.0.11", 24, N(1))));
        Assert.NotNull(state.Validate(new VmPlaced("VM-01", N(1))));
        // what a member holds stays where it is and may be handed over between members
        state = state.Apply(new IpReleased("eth0", "10.0.0.12", 24, N(2)));
        Assert.NotNull(state.Validate(new IpTaken("eth0", "10.0.0.12", 24, N(1))));
    }

    [Fact]
    public void OpenFenceRequest_MakesANodeUnclean_UntilItIsFenced()
    {
        var state = ThreeUp().ApplyAll([new NodeUnreachable(N(3)), new NodeDown(N(3), "lost"), new FenceRequested(N(3), N(1), "lost")]);
        Assert.Equal([N(3)], state.UncleanNodes);

        state = state.Apply(new FenceSucceeded(N(3), "pdu"));

        Assert.Empty(state.UncleanNodes);
        Assert.Null(state.Validate(new IpTaken("eth0", "10.0.0.11", 24, N(1))));
    }

    [Fact]
    public void LeftNode_IsClean()
    {
        var state = ThreeUp().ApplyAll([new NodeLeaving(N(3)), new NodeLeft(N(3))]);

        Assert.Empty(state.UncleanNodes);
        Assert.Null(state.Validate(new IpTaken("eth0", "10.0.0.11", 24, N(1))));
    }

    [Fact]
    public void PrimaryMembers_TakePartInStateEquality()
    {
        var a = ClusterState.Empty.Apply(new PrimaryFormed(1, [N(1)]));
        var b = ClusterState.Empty.Apply(new PrimaryFormed(1, [N(2)]));

        Assert.NotEqual(a, b);
        Assert.Equal(a, ClusterState.Empty.Apply(new PrimaryFormed(1, ImmutableArray.Create(N(1)))));
    }

    [Fact]
    public void MigrationReport_OfAnEarlierAttempt_IsRejected()
    {
        var vm = Vm("VM-01") with { AllowMigrate = true };
        var state = ThreeUp().Apply(new VmAdded(vm)).Apply(new VmPlaced("VM-01", N(1))).Apply(new VmRunning("VM-01", N(1)))
            .Apply(new VmMigrating("VM-01", N(1), N(2)));
        var first = state.Vms["VM-01"].Attempt;
        state = state.Apply(new VmMigrationFailed("VM-01", N(1), N(2), "target unreachable", first)).Apply(new VmMigrating("VM-01", N(1), N(2)));
        var second = state.Vms["VM-01"].Attempt;

        Assert.NotEqual(first, second);
        // the failure of the first attempt, repeated late, does not answer the second one
        Assert.Contains($"answers migration attempt {first}", state.Validate(new VmMigrationFailed("VM-01", N(1), N(2), "target unreachable", first)));
        Assert.Null(state.Validate(new VmMigrated("VM-01", N(1), N(2), second)));
        // a report from before attempts were numbered (0) still applies
        Assert.Null(state.Validate(new VmMigrated("VM-01", N(1), N(2))));
    }
}
