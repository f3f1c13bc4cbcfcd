using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>Standby, maintenance, health reports, address moves and extra addresses through the ClusterActor.</summary>
public class OperatorCommandTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    private TestCluster Formed(int nodes = 3)
    {
        var cluster = new TestCluster(this, nodes);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        return cluster;
    }

    [Fact]
    public void Standby_MovesTheNodesAddressesAway_Unstandby_TakesNothingBack()
    {
        var cluster = Formed();
        var address = cluster[2].HeldAddresses.Single();

        var reply = cluster[3].Command(new SetNodeMode("node2", NodeMode.Standby));
        cluster.Run(TimeSpan.FromSeconds(5));

        Assert.True(reply.Accepted, reply.Message);
        Assert.Equal(NodeState.Standby, cluster[1].View!.State.StateOf(N2));
        Assert.Empty(cluster[2].HeldAddresses);
        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[3].HeldAddresses));
        Assert.Equal(3, cluster[1].View!.State.Ips.Count);

        Assert.True(cluster[1].Command(new SetNodeMode("node2", NodeMode.Unstandby)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(5));
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(N2));
        Assert.Empty(cluster[2].HeldAddresses); // addresses stay where they are
    }

    [Fact]
    public void BadModeCommands_AreRefusedWithReasons_NothingChanges()
    {
        var cluster = Formed();
        var before = cluster[1].View!.StreamIndex;

        Assert.Contains("unknown node 'node9'", cluster[1].Command(new SetNodeMode("node9", NodeMode.Standby)).Message);
        Assert.Contains("cannot leave standby", cluster[1].Command(new SetNodeMode("node2", NodeMode.Unstandby)).Message);
        Assert.Contains("needs a node name", cluster[1].Command(new SetNodeMode(null, NodeMode.Standby)).Message);
        Assert.Contains("is not a public address", cluster[1].Command(new MoveAddress("192.0.2.99", "node2")).Message);
        Assert.Contains("not an IP address", cluster[1].Command(new MoveAddress("ten.0.0.1", "node2")).Message);
        cluster.Run(TimeSpan.FromSeconds(2));

        Assert.Equal(before, cluster[1].View!.StreamIndex);
    }

    [Fact]
    public void Maintenance_LostNodeIsNeitherFencedNorRobbed_MaintenanceOffThenFencesIt()
    {
        var cluster = Formed();
        var address = cluster[3].HeldAddresses.Single();
        Assert.True(cluster[1].Command(new SetNodeMode("node3", NodeMode.MaintenanceOn)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(2));

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(20));

        Assert.Empty(cluster.Fenced);
        Assert.True(cluster[3].Running);
        Assert.Contains(address, cluster[3].HeldAddresses); // it kept its address even on the losing side
        Assert.Equal(NodeState.Maintenance, cluster[1].View!.State.StateOf(N3));
        Assert.Equal(N3, cluster[1].View!.State.Ips[address].Node);

        Assert.True(cluster[1].Command(new SetNodeMode("node3", NodeMode.MaintenanceOff)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(["node3"], cluster.Fenced);
        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
    }

    [Fact]
    public void ClusterWideMaintenance_EveryNode_ThenOffBringsAllUp()
    {
        var cluster = Formed();
        Assert.True(cluster[2].Command(new SetNodeMode(null, NodeMode.MaintenanceOn)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(2));
        Assert.All(cluster[1].View!.State.Nodes.Values, n => Assert.Equal(NodeState.Maintenance, n.State));

        Assert.True(cluster[2].Command(new SetNodeMode(null, NodeMode.MaintenanceOff)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(2));
        Assert.All(cluster[1].View!.State.Nodes.Values, n => Assert.Equal(NodeState.Up, n.State));
        Assert.Equal(3, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
    }

    [Fact]
    public void UnhealthyReport_AddressesFailOver_HealthyAgainRejoinsAsUp()
    {
        var cluster = Formed();
        var address = cluster[2].HeldAddresses.Single();

        cluster[2].Actor!.Tell(new ReportHealth(false, "monitor: 10.interface exited 1"), null);
        cluster.Run(TimeSpan.FromSeconds(3));

        Assert.Equal(NodeState.Unhealthy, cluster[1].View!.State.StateOf(N2));
        Assert.Empty(cluster[2].HeldAddresses);
        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[3].HeldAddresses));
        Assert.Contains(cluster[1].StreamEvents(), e => e is NodeUnhealthy u && u.Reason.Contains("10.interface"));

        cluster[2].Actor!.Tell(new ReportHealth(true, ""), null);
        cluster.Run(TimeSpan.FromSeconds(3));
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(N2));
        Assert.Empty(cluster.Fenced);
    }

    [Fact]
    public void MoveAddress_ReleasesOnHolderTakesOnTarget()
    {
        var cluster = Formed();
        var address = cluster[3].HeldAddresses.Single();

        var reply = cluster[2].Command(new MoveAddress(address, "node1"));
        cluster.Run(TimeSpan.FromSeconds(3));

        Assert.True(reply.Accepted, reply.Message);
        Assert.Contains(address, cluster[1].HeldAddresses);
        Assert.Empty(cluster[3].HeldAddresses);
        Assert.Equal(N1, cluster[3].View!.State.Ips[address].Node);
        Assert.Contains("already on node1", cluster[2].Command(new MoveAddress(address, "node1")).Message);
    }

    [Fact]
    public void ExtraAddresses_AreAllocated_RemovedOnesReleased()
    {
        var cluster = Formed();
        var extra = ImmutableArray.Create(new PublicAddress("10.9.0.1", 32, "eth0"), new PublicAddress("10.9.0.2", 32, "eth0"));
        foreach (var h in cluster.Hosts) h.Actor!.Tell(new PublicAddressesChanged(extra), null);
        cluster.Run(TimeSpan.FromSeconds(3));
        Assert.Equal(5, cluster.Hosts.Sum(h => h.HeldAddresses.Count));

        foreach (var h in cluster.Hosts) h.Actor!.Tell(new PublicAddressesChanged([extra[0]]), null);
        cluster.Run(TimeSpan.FromSeconds(3));
        Assert.Equal(4, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
        Assert.DoesNotContain(cluster.Hosts, h => h.HeldAddresses.Contains("10.9.0.2"));
        Assert.False(cluster[1].View!.State.Ips.ContainsKey("10.9.0.2"));
    }
}
