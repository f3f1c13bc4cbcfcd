using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.Actors.Tests.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// A lost host that returns proves what it holds (NodeHoldings) before the DC readmits it: after its fence, or
/// without one when fencing is impossible (docs/cluster.md, "A host comes back").
/// </summary>
public sealed class RejoinTests : VmClusterTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    private static ClusterOptions FencingOff(ClusterOptions o) => o with { Fencing = new FencingPolicy { Enabled = false } };

    [Fact]
    public void FencingOff_BlipOfAHost_ItIsUpAgainAfterTheMend_AndRunsItsVmAgain()
    {
        // no-quorum-policy stop (the default): the cut-off host stops its VM; the VM stays assigned to it (nothing of an
        // unclean host moves), and once it is readmitted it starts it again there.
        var cluster = Cluster(FencingOff, 3, Vm("DB-01", "node3"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromMinutes(1));
        Assert.Empty(RunningOn("DB-01"));
        Assert.Equal(N3, cluster[1].View!.State.Vms["DB-01"].Node);

        cluster.Network.Heal();
        cluster.Run(TimeSpan.FromSeconds(30));

        Assert.All(cluster.Hosts, h => Assert.Equal(NodeState.Up, h.View!.State.StateOf(N3)));
        Assert.Equal([N3], RunningOn("DB-01"));
        Assert.Empty(cluster.Fenced);
    }

    [Fact]
    public void FencingOffAndNoQuorumFreeze_BlipOfAHost_ItIsUpAgainAfterTheMend_AndItsVmNeverStopped()
    {
        var cluster = Cluster(FencingOff, 3, Haven.Actors.SplitBrain.NoQuorumPolicy.Freeze, Vm("DB-01", "node3"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([N3], RunningOn("DB-01"));
        var starts = Hypervisors[N3].Calls.Count(c => c.StartsWith("start", StringComparison.Ordinal));

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromMinutes(1));
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.Equal([N3], RunningOn("DB-01")); // fencing off: nothing of the lost host moves

        cluster.Network.Heal();
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.All(cluster.Hosts, h => Assert.Equal(NodeState.Up, h.View!.State.StateOf(N3)));
        Assert.Equal([N3], RunningOn("DB-01"));
        Assert.Equal(starts, Hypervisors[N3].Calls.Count(c => c.StartsWith("start", StringComparison.Ordinal)));
        Assert.DoesNotContain(Hypervisors[N3].Calls, c => c.StartsWith("shutdown", StringComparison.Ordinal) || c.StartsWith("kill", StringComparison.Ordinal));
        var stream = cluster[1].StreamEvents().ToList();
        var down = stream.FindLastIndex(e => e is NodeDown d && d.Node == N3);
        var proof = stream.FindLastIndex(e => e is NodeHoldings h && h.Node == N3);
        var joined = stream.FindLastIndex(e => e is NodeJoined j && j.Node == N3);
        Assert.True(down < proof && proof < joined, $"down #{down}, holdings #{proof}, joined #{joined}");
        Assert.Equal(["DB-01"], ((NodeHoldings)stream[proof]).Vms.ToArray());
        Assert.Empty(cluster.Fenced);
        Assert.Single(cluster.Hosts.Select(h => h.View!.StreamDigest).Distinct());
    }

    [Fact]
    public void FencingOff_ConfirmedOffWhileAlive_TheReturningHostStopsTheMovedVmBeforeItIsUp()
    {
        // no-quorum-policy freeze: the cut-off host keeps its VM running, the case where a wrong confirmation runs it twice
        var cluster = Cluster(FencingOff, 3, Haven.Actors.SplitBrain.NoQuorumPolicy.Freeze, Vm("DB-01", "node3"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(30));

        // The operator's word, wrong: node3 is alive. Its VM moves (and runs twice: the price Haven cannot prevent).
        var confirmed = cluster[1].Command(new ConfirmFenced("node3", "I believe it is off"));
        Assert.True(confirmed.Accepted, confirmed.Message);
        cluster.Run(TimeSpan.FromSeconds(20));
        var moved = cluster[1].View!.State.Vms["DB-01"].Node;
        Assert.NotNull(moved);
        Assert.NotEqual(N3, moved);
        Assert.Equal(2, RunningOn("DB-01").Count); // node3 never stopped it: it was not off

        cluster.Network.Heal();
        // Whenever the cluster has node3 up while DB-01 is placed elsewhere, DB-01 does not run on node3.
        for (var i = 0; i < 300; i++)
        {
            cluster.Run(TimeSpan.FromMilliseconds(50));
            var state = cluster[1].View!.State;
            if (state.StateOf(N3) == NodeState.Up && state.Vms["DB-01"].Node != N3 && RunningOn("DB-01").Contains(N3))
                Assert.Fail($"node3 is up while DB-01 still runs there; node1's stream: {string.Join(" | ", cluster[1].StreamEvents().Skip(10))}; node3's calls: {string.Join(", ", Hypervisors[N3].Calls)}");
        }
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(N3));
        Assert.Single(RunningOn("DB-01")); // it prefers node3, so it may have moved back there since
        var report = cluster[1].StreamEvents().OfType<NodeHoldings>().Last(h => h.Node == N3);
        Assert.Empty(report.Vms);
        Assert.Contains(Hypervisors[N3].Calls, c => c.StartsWith("shutdown", StringComparison.Ordinal) || c.StartsWith("kill", StringComparison.Ordinal));
    }

    [Fact]
    public void FencingOn_FenceFailsRetryably_TheReturningHostIsFencedFirst_NotReadmittedOnItsWord()
    {
        var cluster = Cluster(null, 3, Vm("DB-01", "node3"));
        cluster.FenceFailures.Add(N3);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromSeconds(30));

        cluster.Network.Heal();
        cluster.Run(TimeSpan.FromMinutes(1));

        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.Contains(cluster[1].StreamEvents(), e => e is NodeHoldings h && h.Node == N3);

        cluster.FenceFailures.Clear();
        cluster.Run(TimeSpan.FromMinutes(6)); // the retry backoff
        Assert.Contains("node3", cluster.Fenced);
        cluster[3].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(30));

        var stream = cluster[1].StreamEvents().ToList();
        var fenced = stream.FindLastIndex(e => e is FenceSucceeded f && f.Target == N3);
        var proof = stream.FindLastIndex(e => e is NodeHoldings h && h.Node == N3);
        var joined = stream.FindLastIndex(e => e is NodeJoined j && j.Node == N3);
        Assert.True(fenced < proof && proof < joined, $"fenced #{fenced}, holdings #{proof}, joined #{joined}");
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(N3));
        Assert.Single(RunningOn("DB-01"));
    }

    // ---- the state -------------------------------------------------------------------------------

    private static ClusterState ThreeDown() => ThreeUp().ApplyAll([new NodeUnreachable(N(3)), new NodeDown(N(3), "minority")]);

    [Fact]
    public void Holdings_OnlyFromADownOrFencedNode_AndVoidedWhenItJoinsOrIsFenced()
    {
        Assert.Contains("only a down or fenced node reports", ThreeUp().Validate(new NodeHoldings(N(3), [], [])));

        var down = ThreeDown().Apply(new NodeHoldings(N(3), ["B", "A"], []));
        Assert.Equal(["A", "B"], down.Holdings[N(3)].Vms.ToArray()); // kept in order
        Assert.Contains("already reported exactly this", down.Validate(new NodeHoldings(N(3), ["A", "B"], [])));

        Assert.False(down.Apply(new NodeFenced(N(3), "watchdog")).Holdings.ContainsKey(N(3)));
        Assert.False(down.Apply(new NodeJoined(N(3), "node3")).Holdings.ContainsKey(N(3)));
        Assert.NotEqual(down, ThreeDown().Apply(new NodeHoldings(N(3), [], [])));
    }

    [Fact]
    public void HoldingsProblem_NamesWhatTheReturningNodeStillHoldsThatTheClusterGaveElsewhere()
    {
        var state = ThreeDown();
        Assert.Contains("has not reported", state.HoldingsProblem(N(3)));
        Assert.Null(state.Apply(new NodeHoldings(N(3), [], [])).HoldingsProblem(N(3)));

        Assert.Contains("still runs VM WEB-01, which the cluster placed nowhere",
            state.Apply(new NodeHoldings(N(3), ["WEB-01"], [])).HoldingsProblem(N(3)));
        var taken = state.Apply(new NodeHoldings(N(3), [], ["10.0.0.9"]));
        Assert.Contains("still holds 10.0.0.9, which the cluster gave to nobody", taken.HoldingsProblem(N(3)));
    }
}
