using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>The DC applies HA-Lizard's fencing rules (FencingPolicy) before and after it fences.</summary>
public class FencingRulesInClusterTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    private TestCluster Cluster(int nodes, FencingPolicy policy, Func<SplitBrainSettings, SplitBrainSettings>? splitBrain = null) =>
        new(this, nodes, splitBrain: splitBrain, configure: o => o with { Fencing = policy });

    [Fact]
    public void MinHosts_FewerHostsRemain_NothingFencedNothingRecovered_RefusalJournaled()
    {
        var cluster = Cluster(3, new FencingPolicy { MinHosts = 3 });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var lost = cluster[3].HeldAddresses.Single();

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.Empty(cluster.Fenced);
        Assert.True(cluster[3].Running);
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.DoesNotContain(lost, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        var failed = cluster[1].StreamEvents().OfType<FenceFailed>().First();
        Assert.Contains("min-hosts = 3", failed.Reason);
    }

    [Fact]
    public void FencingDisabled_RecoverOnFailure_RecoversUnconfirmed_AndSaysSo()
    {
        var cluster = Cluster(3, new FencingPolicy { Enabled = false, RecoverOnFailure = true });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var lost = cluster[3].HeldAddresses.Single();

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Empty(cluster.Fenced); // no device was asked
        Assert.Equal(NodeState.Fenced, cluster[1].View!.State.StateOf(N3));
        Assert.Contains(lost, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
        var events = cluster[1].StreamEvents();
        Assert.Contains(events, e => e is FenceFailed f && f.Target == N3 && f.Reason.Contains("fencing is disabled"));
        Assert.Contains(events, e => e is NodeFenced f && f.Node == N3 && f.Device == ClusterActor.UnconfirmedDevice);
    }

    [Fact]
    public void FencingDisabled_WithoutRecoverOnFailure_BlocksRecovery()
    {
        var cluster = Cluster(3, new FencingPolicy { Enabled = false });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var lost = cluster[3].HeldAddresses.Single();

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(30));

        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.DoesNotContain(lost, cluster[1].HeldAddresses.Concat(cluster[2].HeldAddresses));
    }

    [Fact]
    public void FenceSucceeded_CarriesTheDurationOfTheFence()
    {
        var cluster = Cluster(3, new FencingPolicy());
        cluster.FenceTakes = TimeSpan.FromSeconds(4);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(15));

        var succeeded = cluster[2].StreamEvents().OfType<FenceSucceeded>().Single();
        Assert.Equal("test-pdu", succeeded.Device);
        Assert.InRange(succeeded.Seconds!.Value, 4.0, 4.2);
    }

    private static SplitBrainSettings LowestIdWinsTies(SplitBrainSettings s) => s with
    {
        UseIpHeuristics = true,
        HeuristicAddresses = ["192.0.2.1"],
    };

    [Theory]
    [InlineData(0, 5, 6)]    // no delay: fenced once the resolver decided (stable-after 2 s)
    [InlineData(20, 15, 25)] // the DC held no more than its peer: it waits 20 s more
    public void TwoHosts_PriorityDelay_SurvivorHoldingLessWaitsBeforeFencing(int delaySeconds, int checkAt, int fencedBy)
    {
        var cluster = Cluster(2, new FencingPolicy { PriorityDelay = TimeSpan.FromSeconds(delaySeconds) }, LowestIdWinsTies);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        cluster.Reaches[N1] = false; // node2 survives: it holds one address, as node1 did, and its id is higher
        cluster.Run(TimeSpan.FromSeconds(3));

        cluster.Network.Partition([N1], [N2]);
        cluster.Run(TimeSpan.FromSeconds(checkAt));
        Assert.Equal(delaySeconds == 0 ? ["node1"] : [], cluster.Fenced);
        cluster.Run(TimeSpan.FromSeconds(fencedBy - checkAt));

        Assert.Equal(["node1"], cluster.Fenced);
        Assert.Equal(2, cluster[2].HeldAddresses.Count);
    }
}

/// <summary>The fencing rules apply live: a change with <c>haven config set</c> holds from the next fence on.</summary>
public class LiveFencingRulesTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    [Fact]
    public void MinHosts_SetClusterWide_TheNextFenceIsRefused_AndAfterAResetTheRetryFences()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var set = cluster[2].Command(new SetSetting("haven.fencing.min-hosts", "3"));
        Assert.True(set.Accepted, set.Message);

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.Empty(cluster.Fenced);
        Assert.True(cluster[3].Running);
        var failed = cluster[1].StreamEvents().OfType<FenceFailed>().First();
        Assert.Contains("min-hosts = 3", failed.Reason);

        var reset = cluster[1].Command(new ResetSetting("haven.fencing.min-hosts"));
        Assert.True(reset.Accepted, reset.Message);
        cluster.Run(TimeSpan.FromSeconds(60));

        Assert.Equal(["node3"], cluster.Fenced);
        Assert.Equal(NodeState.Fenced, cluster[1].View!.State.StateOf(N3));
    }

    [Fact]
    public void RebootLoneHost_SetClusterWide_TheLoneSurvivorRebootsItselfOnceAndFencesNothing()
    {
        var cluster = new TestCluster(this, 2, splitBrain: s => s with { UseIpHeuristics = true, HeuristicAddresses = ["192.0.2.1"] });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        var set = cluster[1].Command(new SetSetting("haven.fencing.reboot-lone-host", "on"));
        Assert.True(set.Accepted, set.Message);
        cluster.Reaches[N1] = false; // node2 keeps the cluster alone
        cluster.Run(TimeSpan.FromSeconds(3));

        cluster.Network.Partition([N1], [N2]);
        cluster.Run(TimeSpan.FromSeconds(120)); // the DC retries the request with backoff meanwhile

        Assert.Empty(cluster.Fenced);
        var reason = Assert.Single(cluster[2].Reboots);
        Assert.Contains("reboot-lone-host is on", reason);
        Assert.Empty(cluster[1].Reboots);
        var failures = cluster[2].StreamEvents().OfType<FenceFailed>().Where(f => f.Target == N1).ToList();
        Assert.True(failures.Count >= 2, $"{failures.Count} failed fence(s)");
        Assert.All(failures, f => Assert.Contains("node1 is not fenced", f.Reason));
    }
}

/// <summary>What the ClusterActor reports to the watchdog keeper (SBD-style self-fencing).</summary>
public class SelfFenceReportsTests : HavenTestKit
{
    [Fact]
    public void LosingSide_ReportsDemotingThenDemotedOnceReleased_WinnersReportPrimary_AllReportAlive()
    {
        var cluster = new TestCluster(this, 3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.All(cluster.Hosts, h => Assert.Equal(["primary"], h.SelfFence.Calls));
        var alive = cluster[3].SelfFence.Alive;
        Assert.InRange(alive, 9, 12); // once a second

        cluster.FenceFailures.Add(new NodeId(3)); // node3 stays up, demoted
        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [new NodeId(3)]);
        cluster.Run(TimeSpan.FromSeconds(10));

        Assert.Equal(["primary", "demoting", "demoted"], cluster[3].SelfFence.Calls);
        Assert.Empty(cluster[3].HeldAddresses);
        Assert.True(cluster[3].SelfFence.Alive > alive);
        Assert.Equal("primary", cluster[1].SelfFence.Calls[^1]);
    }
}
