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
    public void RemovingADownNode_IsNotTakenForConfirmedOff_ItStaysDownUntilTheOperatorConfirms()
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Fencing = new FencingPolicy { Enabled = false } });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var address = cluster[3].HeldAddresses.Single();
        cluster[3].PowerOff();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));

        var two = cluster.Network.Nodes.Where(n => n.Id != N3).ToImmutableArray();
        foreach (var id in new uint[] { 1, 2 })
        {
            var reply = cluster[id].Command(new ChangeNodeList(two));
            Assert.True(reply.Accepted, reply.Message);
            Assert.Contains("removed node3 (3)", reply.Message);
        }
        cluster.Run(TimeSpan.FromMinutes(2));

        // Corosync drops a running node at the reload that removes it: the removal says nothing of it being off.
        Assert.DoesNotContain(cluster[1].StreamEvents(), e => e is FenceConfirmed);
        Assert.Equal(NodeState.Down, cluster[2].View!.State.StateOf(N3));
        Assert.DoesNotContain(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));

        var confirm = cluster[1].Command(new ConfirmFenced("node3", "decommissioned, powered off at the PDU"));
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.True(confirm.Accepted, confirm.Message);
        Assert.Equal(NodeState.Fenced, cluster[2].View!.State.StateOf(N3));
        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        Assert.Equal(cluster[1].View!.StreamDigest, cluster[2].View!.StreamDigest);
    }

    [Fact]
    public void RemovedNodeLostWhileUp_IsFencedAsAnyLostNode_ThenForgottenAndNotReadmitted()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var two = cluster.Network.Nodes.Where(n => n.Id != N3).ToImmutableArray();

        // The list changes first, then corosync drops node3: the others see it lost after they stopped naming it.
        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromMilliseconds(500)); // the view changes; the resolver decides after stable-after (2 s)
        Assert.Null(cluster[1].StreamEvents().OfType<NodeDown>().FirstOrDefault());
        foreach (var id in new uint[] { 1, 2 })
        {
            var reply = cluster[id].Command(new ChangeNodeList(two));
            Assert.True(reply.Accepted, reply.Message);
        }
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.Equal(["node3"], cluster.Fenced);
        Assert.Equal(NodeState.Fenced, cluster[1].View!.State.StateOf(N3));
        var fencedAt = cluster[1].StreamEvents().Count;

        cluster.Network.Heal();
        cluster[3].PowerOn(); // still configured with the old list: it is synced, never admitted
        cluster.Run(TimeSpan.FromSeconds(20));
        Assert.Contains(N3, cluster[1].View!.Members.Select(m => m.Id));
        Assert.Equal(NodeState.Fenced, cluster[1].View!.State.StateOf(N3));
        Assert.DoesNotContain(cluster[1].StreamEvents().Skip(fencedAt), e => e is NodeJoined or NodeUp or FenceRequested);
        Assert.Empty(cluster[3].HeldAddresses);
        Assert.Equal(PartitionRole.Primary, cluster[1].View!.Role);
    }
}
