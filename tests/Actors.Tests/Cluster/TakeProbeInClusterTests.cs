using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// The survivor that takes a lost host's address skips the duplicate-address probe only when a fence device
/// confirmed the holder off; a clean hand-over and recover-on-failure keep it.
/// </summary>
public class TakeProbeInClusterTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    /// <summary>Forms <paramref name="cluster"/>, cuts node 3 off and runs on; the address node 3 held.</summary>
    private static string LoseNode3(TestCluster cluster)
    {
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var lost = cluster[3].HeldAddresses.Single();
        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(10));
        return lost;
    }

    private static bool? ProbeOfLastTake(TestCluster cluster, string ip) =>
        cluster.Hosts.Where(h => h.Running).SelectMany(h => h.Takes).Where(t => t.Ip == ip).Select(t => (bool?)t.Probe).LastOrDefault();

    [Fact]
    public void Formation_EveryFirstTake_Probes()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(3, cluster.Hosts.Sum(h => h.Takes.Count));
        Assert.All(cluster.Hosts.SelectMany(h => h.Takes), t => Assert.True(t.Probe, t.Ip));
    }

    [Fact]
    public void HolderLostAndFencedByDevice_SurvivorTakesWithoutProbe()
    {
        var cluster = new TestCluster(this, 3);

        var lost = LoseNode3(cluster);

        Assert.Equal(["node3"], cluster.Fenced);
        Assert.Contains(lost, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        Assert.False(ProbeOfLastTake(cluster, lost));
        // Both survivors' replicated states agree on it (every host decides from the same stream).
        Assert.Equal(cluster[1].View!.StreamDigest, cluster[2].View!.StreamDigest);
    }

    [Fact]
    public void StandbyHandsOver_TakerProbes()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var address = cluster[2].HeldAddresses.Single();

        Assert.True(cluster[1].Command(new SetNodeMode("node2", NodeMode.Standby)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(5));

        Assert.Contains(address, cluster[1].HeldAddresses.Concat(cluster[3].HeldAddresses));
        Assert.True(ProbeOfLastTake(cluster, address));
    }

    [Fact]
    public void RecoverOnFailureWithoutConfirmation_TakerProbes()
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Fencing = new FencingPolicy { Enabled = false, RecoverOnFailure = true } });

        var lost = LoseNode3(cluster);

        Assert.Empty(cluster.Fenced);
        Assert.Contains(lost, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        Assert.True(ProbeOfLastTake(cluster, lost));
    }
}
