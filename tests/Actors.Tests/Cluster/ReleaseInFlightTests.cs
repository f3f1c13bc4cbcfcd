using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// A host puts back no address whose release it has begun (a move, a hand-over) until that release is applied or
/// abandoned: the state still gives it the address meanwhile, and a reassertion then — here the one the last unclean
/// node's fence brings — would hold it again while the release hands it to another host (swarm seed 1147025286).
/// </summary>
public sealed class ReleaseInFlightTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N3 = new(3);

    [Fact]
    public void MoveUnderWay_WhenTheLastUncleanNodeIsFenced_TheHolderDoesNotTakeTheAddressBack()
    {
        var cluster = new TestCluster(this, 3) { FenceTakes = TimeSpan.FromSeconds(3) };
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var address = cluster[2].HeldAddresses.Single();
        cluster[3].PowerOff();
        for (var i = 0; i < 100 && !cluster[1].View!.State.PendingFences.ContainsKey(N3); i++) cluster.Run(TimeSpan.FromMilliseconds(100));
        Assert.True(cluster[1].View!.State.PendingFences.ContainsKey(N3), "n3's fence did not start");
        var release = new TaskCompletionSource();
        cluster[2].ReleaseGate = release.Task;
        var takesBefore = cluster[2].Takes.Count;

        var reply = cluster[1].Command(new MoveAddress(address, "node1"));
        cluster.Run(TimeSpan.FromSeconds(4)); // n3 is fenced meanwhile: the last unclean node is clean

        Assert.True(reply.Accepted, reply.Message);
        Assert.Equal(NodeState.Fenced, cluster[2].View!.State.StateOf(N3));
        Assert.DoesNotContain(cluster[2].Takes.Skip(takesBefore), t => t.Ip == address);
        Assert.DoesNotContain(address, cluster[2].HeldAddresses);

        release.SetResult();
        cluster[2].ReleaseGate = null;
        cluster.Run(TimeSpan.FromSeconds(3));

        Assert.Equal(N1, cluster[2].View!.State.Ips[address].Node);
        Assert.Contains(address, cluster[1].HeldAddresses);
        Assert.DoesNotContain(address, cluster[2].HeldAddresses);
    }
}
