using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Tests.Cluster;
using Haven.Actors.Vms;
using Haven.TestKit;

namespace Haven.Actors.Tests.Vms;

/// <summary>`haven cluster leave` on a host with VMs: they move or stop first, the host leaves after, nothing runs twice.</summary>
public sealed class VmLeaveTests : VmClusterTestKit
{
    private static VmSpec Vm(string name, string prefers, bool migrate = false, bool ha = true) =>
        VmClusterTestKit.Vm(name, prefers, migrate) with { Ha = ha };

    private OperatorCommandResult Leave(TestCluster cluster, uint host) => Ask(cluster, host, LeaveCluster.Instance);

    private OperatorCommandResult Ask(TestCluster cluster, uint host, object command) =>
        Ask<OperatorCommandResult>(cluster, host, command, TimeSpan.FromMilliseconds(50));

    [Fact]
    public void Leave_HostWithVms_TheyMoveOrStopFirst_ThenItLeaves_NothingRunsTwice()
    {
        string[] vms = ["WEB-01", "DB-01", "TOOLS-1"];
        var cluster = Cluster(3, Vm("WEB-01", "node2", migrate: true), Vm("DB-01", "node2"), Vm("TOOLS-1", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.True(Ask(cluster, 1, new SetVmHa("TOOLS-1", false)).Accepted); // it keeps running, unmanaged
        Assert.All(vms, vm => Assert.Equal([new NodeId(2)], RunningOn(vm)));
        var n2 = new NodeId(2);

        var result = Leave(cluster, 2);

        Assert.True(result.Accepted, result.Message);
        Assert.Contains("its 3 VM(s) move to other hosts or stop", result.Message);
        var sawLeaving = false;
        for (var i = 0; i < 150; i++)
        {
            cluster.Run(TimeSpan.FromMilliseconds(200));
            Assert.All(vms, vm => Assert.True(RunningOn(vm).Count <= 1, $"{vm} runs on {string.Join(",", RunningOn(vm))}"));
            var state = cluster[1].View!.State;
            sawLeaving |= state.StateOf(n2) == NodeState.Leaving;
            if (state.StateOf(n2) == NodeState.Left)
                Assert.DoesNotContain(state.Vms.Values, v => v.Node == n2 || v.Target == n2);
        }

        Assert.True(sawLeaving);
        Assert.Equal(NodeState.Left, cluster[1].View!.State.StateOf(n2));
        Assert.Single(RunningOn("WEB-01"));
        Assert.Single(RunningOn("DB-01"));
        Assert.DoesNotContain(n2, RunningOn("WEB-01").Concat(RunningOn("DB-01")));
        Assert.Contains("migrate", string.Join(" ", Hypervisors[n2].Calls.Where(c => c.Contains("WEB-01"))));
        Assert.Empty(RunningOn("TOOLS-1")); // not HA: stopped with its host's leave, never started elsewhere
        Assert.Equal(VmRunState.Stopped, cluster[1].View!.State.Vms["TOOLS-1"].State);
    }

    [Fact]
    public void Leave_VmFitsNowhereElse_StoppedThenTheHostLeaves()
    {
        var cluster = Cluster(2, Vm("WEB-01", "node2") with { Preferences = [new NodePreference("node2", 100), new NodePreference("node1", PlacementScores.Banned)] });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([new NodeId(2)], RunningOn("WEB-01"));

        Assert.True(Leave(cluster, 2).Accepted);
        cluster.Run(TimeSpan.FromSeconds(20));

        Assert.True(RunningOn("WEB-01").Count == 0, string.Join("\n", cluster[1].View!.State.Vms.Values.Select(v => v.ToString())) + " " + cluster[1].View!.State.StateOf(new NodeId(2)));
        Assert.Equal(NodeState.Left, cluster[1].View!.State.StateOf(new NodeId(2)));
        Assert.Null(cluster[1].View!.State.Vms["WEB-01"].Node);
    }

    [Fact]
    public void Leave_Twice_SecondSaysAlreadyLeaving()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        var probe = CreateTestProbe();

        cluster[2].Actor!.Tell(LeaveCluster.Instance, probe.Ref);
        cluster[2].Actor!.Tell(LeaveCluster.Instance, probe.Ref); // before the first one's NodeLeaving comes back
        cluster.Run(TimeSpan.FromMilliseconds(50));

        Assert.StartsWith("node node2 is leaving", probe.ExpectMsg<OperatorCommandResult>().Message);
        var again = probe.ExpectMsg<OperatorCommandResult>();
        Assert.True(again.Accepted, again.Message);
        Assert.StartsWith("node node2 is already leaving", again.Message);
        Assert.Single(cluster[1].StreamEvents().OfType<NodeLeaving>());
    }
}
