using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// `haven fence confirm` through the ClusterActor: with fencing off a lost host stays down and its
/// resources stay where they were, until an operator states it is off; the DC then takes that as the
/// fence confirmation and recovers them.
/// </summary>
public class FenceConfirmTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    private TestCluster LostWithFencingOff(out string address)
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Fencing = new FencingPolicy { Enabled = false } });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        address = cluster[3].HeldAddresses.Single();
        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.DoesNotContain(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        return cluster;
    }

    [Fact]
    public void LostHostConfirmedOffByOperator_IsFencedOnEveryMemberAndItsAddressRecovered()
    {
        var cluster = LostWithFencingOff(out var address);

        var reply = cluster[2].Command(new ConfirmFenced("node3", "powered off at the PDU, ticket 4711"));
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.True(reply.Accepted, reply.Message);
        Assert.Contains("confirmed off by the operator", reply.Message);
        Assert.All(new[] { cluster[1], cluster[2] }, h => Assert.Equal(NodeState.Fenced, h.View!.State.StateOf(N3)));
        Assert.Empty(cluster[1].View!.State.PendingFences);
        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        var confirmed = Assert.Single(cluster[1].StreamEvents().OfType<FenceConfirmed>());
        Assert.Equal(new FenceConfirmed(N3, N2, "powered off at the PDU, ticket 4711"), confirmed);
        Assert.Equal(cluster[1].View!.StreamDigest, cluster[2].View!.StreamDigest);
        // Closed for good: the DC retries no fence of node3 after the confirmation.
        cluster.Run(TimeSpan.FromMinutes(5));
        Assert.DoesNotContain(cluster[1].StreamEvents().SkipWhile(e => e is not FenceConfirmed).Skip(1), e => e is FenceRequested or FenceFailed);
    }

    [Fact]
    public void MemberOrBadConfirmation_IsRefusedAndNothingIsJournaled()
    {
        var cluster = LostWithFencingOff(out _);

        Assert.Contains("node node2 is a member of the cluster right now, so it is not off", cluster[1].Command(new ConfirmFenced("node2", "it is off")).Message);
        Assert.Contains("node node1 is this host", cluster[1].Command(new ConfirmFenced("node1", "it is off")).Message);
        Assert.Contains("unknown node 'node9'", cluster[1].Command(new ConfirmFenced("node9", "it is off")).Message);
        Assert.Contains("a reason is needed", cluster[1].Command(new ConfirmFenced("node3", " ")).Message);
        Assert.Contains("not in the primary partition", cluster[3].Command(new ConfirmFenced("node1", "it is off")).Message);
        cluster.Run(TimeSpan.FromSeconds(2));

        Assert.DoesNotContain(cluster[1].StreamEvents(), e => e is FenceConfirmed);
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
    }
}
