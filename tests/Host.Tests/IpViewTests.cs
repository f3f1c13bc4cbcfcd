using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;
using Haven.Host.Control;

namespace Haven.Host.Tests;

/// <summary>IpView.From: the cluster view and the configured addresses to the lines of `haven ip list`.</summary>
public class IpViewTests
{
    private static readonly NodeId A = new(1), B = new(2), C = new(3);

    private static ClusterView View(params IClusterEvent[] events)
    {
        var state = ClusterState.Empty.ApplyAll([
            new NodeJoined(A, "alpha"), new NodeUp(A), new NodeJoined(B, "beta"), new NodeUp(B), new NodeJoined(C, "gamma"), new NodeUp(C), .. events]);
        return new ClusterView("lab", new Member(A, "alpha"), A, true, PartitionRole.Primary,
            [new Member(A, "alpha"), new Member(B, "beta"), new Member(C, "gamma")], state, state.Version, "");
    }

    private static readonly ImmutableArray<PublicAddress> Configured =
        [new("192.0.2.1", 24, "eth0"), new("192.0.2.2", 24, "eth0"), new("192.0.2.3", 24, "eth1", "gamma", "g"), new("192.0.2.4", 24, "eth0")];

    [Fact]
    public void From_HeldByUpNode_IsHeld_AndNobodyHoldingIsUnassigned()
    {
        var lines = IpView.From(View(new IpTaken("eth0", "192.0.2.1", 24, A)), Configured);
        Assert.Equal(
            [
                new IpView("192.0.2.1/24", "eth0", "alpha", "held"),
                new IpView("192.0.2.2/24", "eth0", null, "unassigned"),
                new IpView("192.0.2.3/24", "eth1", null, "unassigned"),
                new IpView("192.0.2.4/24", "eth0", null, "unassigned"),
            ],
            lines);
    }

    [Fact]
    public void From_HolderNotUp_ShowsTheHoldersState()
    {
        var lines = IpView.From(View(
            new IpTaken("eth0", "192.0.2.1", 24, A), new IpTaken("eth0", "192.0.2.2", 24, B), new IpTaken("eth1", "192.0.2.3", 24, C),
            new NodeStandby(A), new NodeMaintenance(B), new NodeDown(C, "test")), Configured);
        Assert.Equal(["standby", "maintenance", "down", "unassigned"], lines.Select(l => l.State));
        Assert.Equal(["alpha", "beta", "gamma", null], lines.Select(l => l.Node));
    }

    [Fact]
    public void From_HeldAddressThatIsNotConfigured_IsListedAfterTheConfiguredOnes()
    {
        var lines = IpView.From(View(new IpTaken("eth2", "10.9.9.9", 16, B), new IpTaken("eth0", "192.0.2.4", 24, C)), [Configured[3]]);
        Assert.Equal([new IpView("192.0.2.4/24", "eth0", "gamma", "held"), new IpView("10.9.9.9/16", "eth2", "beta", "held")], lines);
    }

    [Fact]
    public void From_NothingConfiguredOrHeld_IsEmpty()
    {
        Assert.Empty(IpView.From(View(), []));
        Assert.Empty(IpView.From(View(), default));
    }

    [Fact]
    public void NodeName_NameWhenKnown_ElseNodeAndItsId()
    {
        Assert.Equal("alpha", VmView.NodeName(View().State, A));
        Assert.Equal("node 9", VmView.NodeName(ClusterState.Empty, new NodeId(9)));
        Assert.Equal("node 9", new NodeId(9).Unnamed);
    }
}
