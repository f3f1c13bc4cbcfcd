using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// The node list changing while the ClusterActors run (corosync's nodelist reloaded, <see cref="ChangeNodeList"/>):
/// an added node joins through the usual Hello and sync and gets work; a removed node that is down is forgotten;
/// removing a member is refused.
/// </summary>
public class NodeListChangeTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3), N4 = new(4);

    /// <summary>Four nodes on the network, the first three configured with three (corosync.conf before the reload), node4 with four.</summary>
    private TestCluster ThreeOfFour()
    {
        // Three addresses, one on each of the first three.
        var cluster = new TestCluster(this, 4, configure: o => (o.Self.Id == N4 ? o : o with
        {
            Nodes = [.. o.Nodes.Where(n => n.Id != N4)],
            SplitBrain = o.SplitBrain with { Nodes = [N1, N2, N3] },
        }) with { PublicAddresses = [.. o.PublicAddresses.Take(3)] });
        foreach (var id in new uint[] { 1, 2, 3 }) cluster[id].Start();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.All(new[] { cluster[1], cluster[2], cluster[3] }, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        return cluster;
    }

    [Fact]
    public void NodeAddedAtRuntime_JoinsAndGetsANewAddress()
    {
        var cluster = ThreeOfFour();
        Assert.Equal(3, cluster.Hosts.Take(3).Sum(h => h.HeldAddresses.Count));

        // node4 starts before the others have taken the new list: it is synced but not admitted.
        cluster[4].Start();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Null(cluster[1].View!.State.StateOf(N4));
        Assert.Empty(cluster[4].HeldAddresses);

        var all = cluster.Network.Nodes;
        foreach (var id in new uint[] { 1, 2, 3 })
        {
            var reply = cluster[id].Command(new ChangeNodeList(all));
            Assert.True(reply.Accepted, reply.Message);
            Assert.Contains("added node4 (4)", reply.Message);
        }
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.All(cluster.Hosts, h => Assert.Equal(NodeState.Up, h.View!.State.StateOf(N4)));
        Assert.Equal("node4", cluster[1].View!.State.Nodes[N4].Name);
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        // A placement target once up: a new address goes to the host that holds none.
        foreach (var h in cluster.Hosts) h.Actor!.Tell(new PublicAddressesChanged([new PublicAddress("10.0.0.4", 24, "eth0")]), Haven.Actors.Runtime.ActorRefs.NoSender);
        cluster.Run(TimeSpan.FromSeconds(5));
        Assert.Equal(["10.0.0.4"], cluster[4].HeldAddresses);
        Assert.Equal(4, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
        Assert.Contains("node4", cluster[1].View!.Members.Select(m => m.Name));
    }

    [Fact]
    public void RemovingAMember_IsRefusedAndChangesNothing()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var two = cluster.Network.Nodes.Where(n => n.Id != N3).ToImmutableArray();

        var reply = cluster[1].Command(new ChangeNodeList(two));
        cluster.Run(TimeSpan.FromSeconds(5));

        Assert.False(reply.Accepted);
        Assert.Contains("node3 (3) removed from the node list but still a member of the cluster", reply.Message);
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(N3));
        Assert.DoesNotContain(cluster[1].StreamEvents(), e => e is NodeDown or FenceConfirmed or FenceRequested);
        Assert.Contains("is not in the new node list", cluster[3].Command(new ChangeNodeList(two)).Message);
    }

    [Fact]
    public void RemovingADownNode_ForgetsIt_NoFenceAndItsAddressRecovered()
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Fencing = new FencingPolicy { Enabled = false } });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var address = cluster[3].HeldAddresses.Single();
        cluster[3].PowerOff();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.DoesNotContain(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));

        var two = cluster.Network.Nodes.Where(n => n.Id != N3).ToImmutableArray();
        foreach (var id in new uint[] { 1, 2 })
        {
            var reply = cluster[id].Command(new ChangeNodeList(two));
            Assert.True(reply.Accepted, reply.Message);
            Assert.Contains("removed node3 (3)", reply.Message);
        }
        cluster.Run(TimeSpan.FromSeconds(10));

        var confirmed = Assert.Single(cluster[1].StreamEvents().OfType<FenceConfirmed>());
        Assert.Equal(new FenceConfirmed(N3, N1, ClusterActor.RemovedFromNodeList), confirmed);
        Assert.Equal(NodeState.Fenced, cluster[2].View!.State.StateOf(N3));
        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        Assert.Equal(cluster[1].View!.StreamDigest, cluster[2].View!.StreamDigest);
        // Forgotten: never fenced or asked for again.
        cluster.Run(TimeSpan.FromMinutes(3));
        Assert.DoesNotContain(cluster[1].StreamEvents().SkipWhile(e => e is not FenceConfirmed).Skip(1), e => e is FenceRequested or FenceFailed or NodeDown);
        Assert.Empty(cluster.Fenced);
    }
}
