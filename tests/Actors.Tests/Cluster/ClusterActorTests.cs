using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

public class ClusterActorTests : HavenTestKit
{
    [Fact]
    public void ThreeHosts_Form_AgreeOnMembersDcAndAddresses()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        foreach (var host in cluster.Hosts)
        {
            var view = host.View!;
            Assert.Equal(PartitionRole.Primary, view.Role);
            Assert.Equal(new NodeId(1), view.Dc);
            Assert.All(view.State.Nodes.Values, n => Assert.Equal(NodeState.Up, n.State));
            Assert.Equal(3, view.State.Ips.Count);
        }
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        Assert.Equal(3, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
        Assert.All(cluster.Hosts, h => Assert.Single(h.HeldAddresses)); // balanced: one each
    }

    [Fact]
    public void Partition_TwoAgainstOne_MajorityFencesAndRecoversMinorityDemotes()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var lostAddress = cluster[3].HeldAddresses.Single();

        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(["node3"], cluster.Fenced);
        Assert.False(cluster[3].Running);
        foreach (var host in new[] { cluster[1], cluster[2] })
        {
            Assert.Equal(PartitionRole.Primary, host.View!.Role);
            Assert.Equal(NodeState.Fenced, host.View.State.StateOf(new NodeId(3)));
        }
        Assert.Equal(cluster[1].View!.StreamDigest, cluster[2].View!.StreamDigest);
        Assert.Contains(lostAddress, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        var stream = cluster[1].StreamManifests();
        var fenced = stream.ToList().LastIndexOf("cluster.fence-succeeded.v1");
        var start = stream.ToList().LastIndexOf("cluster.startrecovery.v1");
        var release = stream.ToList().LastIndexOf("cluster.releaseip.v1");
        var take = stream.ToList().LastIndexOf("cluster.takeip.v1");
        var realloc = stream.ToList().LastIndexOf("cluster.ipreallocated.v1");
        var recovered = stream.ToList().LastIndexOf("cluster.recovered.v1");
        Assert.True(fenced < start && start < release && release < take && take < realloc && realloc < recovered,
            string.Join(" ", stream));
    }

    [Fact]
    public void FencedHost_Restarts_RejoinsWithIdenticalJournal()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.Network.Heal();
        cluster[3].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        Assert.All(cluster.Hosts.First().View!.State.Nodes.Values, n => Assert.Equal(NodeState.Up, n.State));
        Assert.Equal(3, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
    }

    [Fact]
    public void FenceFailure_BlocksRecovery_MinorityKeepsNothing()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var lostAddress = cluster[3].HeldAddresses.Single();
        cluster.FenceFailures.Add(new NodeId(3));

        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(PartitionRole.Minority, cluster[3].View!.Role);
        Assert.Empty(cluster[3].HeldAddresses); // it demoted
        Assert.DoesNotContain(lostAddress, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses)); // nothing recovered before fencing
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(new NodeId(3)));

        cluster.FenceFailures.Clear(); // the device answers again: the retry fences, recovery follows
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Equal(NodeState.Fenced, cluster[1].View!.State.StateOf(new NodeId(3)));
        Assert.Contains(lostAddress, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
    }

    [Fact]
    public void PartitionHealedBeforeFencing_MinorityRejoinsAfterFenceAndRestart()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.FenceFailures.Add(new NodeId(3));
        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.Network.Heal();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.FenceFailures.Clear();
        cluster.Run(TimeSpan.FromSeconds(10));
        if (!cluster[3].Running) cluster[3].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.True(cluster[3].Running, string.Join(" ", cluster.Fenced) + " | " + string.Join(" ", cluster[1].StreamManifests()));

        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        Assert.Equal(3, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
    }

    private static TestCluster TwoNodesWithHeuristics(HavenTestKit kit) => new(kit, 2, splitBrain: s => s with
    {
        UseIpHeuristics = true,
        HeuristicAddresses = ["192.0.2.1"],
    });

    [Fact]
    public void TwoNodes_OnlyNode2ReachesTheHeuristic_CutLink_Node2AloneSurvives()
    {
        var cluster = TwoNodesWithHeuristics(this);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.Reaches[new NodeId(1)] = false; // node1's uplink is gone, then the link between them
        cluster.Run(TimeSpan.FromSeconds(3));
        cluster.Network.Partition([new NodeId(1)], [new NodeId(2)]);
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(["node1"], cluster.Fenced);
        Assert.Equal(PartitionRole.Primary, cluster[2].View!.Role);
        Assert.Equal(2, cluster[2].HeldAddresses.Count);
    }

    [Fact]
    public void TwoNodes_BothReachTheHeuristic_CutLink_ExactlyOneSurvives()
    {
        var cluster = TwoNodesWithHeuristics(this);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.Network.Partition([new NodeId(1)], [new NodeId(2)]);
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(["node2"], cluster.Fenced); // the tie goes to the lowest node id
        Assert.Equal(PartitionRole.Primary, cluster[1].View!.Role);
        Assert.Equal(2, cluster[1].HeldAddresses.Count);
    }

    [Fact]
    public void FlappingLink_NoDecisionWhileUnstable_OnePrimaryAfterwards_NothingLost()
    {
        var cluster = new TestCluster(this, 3, splitBrain: s => s with { DownAllWhenUnstable = TimeSpan.FromSeconds(30) });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var before = cluster[1].View!.StreamIndex;
        for (var i = 0; i < 10; i++)
        {
            cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
            cluster.Run(TimeSpan.FromMilliseconds(300));
            cluster.Network.Heal();
            cluster.Run(TimeSpan.FromMilliseconds(300));
            Assert.All(cluster.Hosts, h => Assert.NotEqual(PartitionRole.Primary, h.View!.Role)); // waiting out stable-after
        }
        Assert.Empty(cluster.Fenced);
        Assert.Equal(before, cluster[1].View!.StreamIndex); // no decision was taken while flapping
        cluster.Run(TimeSpan.FromSeconds(5));
        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        Assert.Equal(3, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
    }

    [Fact]
    public void DcLost_NextLowestBecomesDc_FencesAndTakesOver()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var dcAddress = cluster[1].HeldAddresses.Single();
        cluster.Network.KillProcess(new NodeId(1));
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(["node1"], cluster.Fenced);
        Assert.Equal(new NodeId(2), cluster[2].View!.Dc);
        Assert.Equal(new NodeId(2), cluster[2].View!.State.Dc);
        Assert.Contains(dcAddress, cluster[2].HeldAddresses.Concat(cluster[3].HeldAddresses));
    }

    [Fact]
    public void HostRestartedWithItsJournal_RecoversThenCatchesUpOnlyWhatItMissed()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster[3].PowerOff(); // a crash: the others fence it (already off) and recover
        cluster.Run(TimeSpan.FromSeconds(10));
        var journaledBefore = cluster[3].StreamManifests().Count;
        cluster[3].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        var journal = cluster[3].StreamManifests();
        Assert.Equal(cluster[1].StreamManifests(), journal); // identical journals, nothing replayed twice
        Assert.True(journal.Count > journaledBefore);
    }

    [Fact]
    public void EndlessFlapping_DownsEveryone_ThenOnePrimaryOnceStable()
    {
        var cluster = new TestCluster(this, 3, splitBrain: s => s with { DownAllWhenUnstable = TimeSpan.FromSeconds(1) });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var everyoneDown = false;
        for (var i = 0; i < 10; i++)
        {
            cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
            cluster.Run(TimeSpan.FromMilliseconds(300));
            cluster.Network.Heal();
            cluster.Run(TimeSpan.FromMilliseconds(300));
            everyoneDown |= cluster.Hosts.All(h => h.View!.Role == PartitionRole.Minority && h.HeldAddresses.Count == 0);
        }
        Assert.True(everyoneDown, "down-all-when-unstable demoted every host");
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.All(cluster.Hosts, h => Assert.Equal(PartitionRole.Primary, h.View!.Role));
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
        Assert.Equal(3, cluster.Hosts.Sum(h => h.HeldAddresses.Count));
        Assert.Empty(cluster.Fenced);
    }

    [Fact]
    public void FenceDeviceKeepsFailing_RetriesBackOff_JournalDoesNotFlood()
    {
        var cluster = new TestCluster(this, 3); // FenceRetryDelay 3 s
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.FenceFailures.Add(new NodeId(3));
        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromMinutes(2));

        var attempts = cluster[1].StreamManifests().Count(m => m == "cluster.fence-failed.v1");
        // 3 s, 6 s, 12 s, 24 s, 48 s, ... : about 6 attempts in two minutes, not 40
        Assert.InRange(attempts, 4, 8);
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(new NodeId(3)));
        Assert.True(cluster[1].View!.State.Nodes[new NodeId(3)].FenceFailures >= 4);
    }
}
