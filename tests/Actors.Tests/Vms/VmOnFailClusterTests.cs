using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Tests.Vms;

/// <summary>On-fail and unmanaged VMs in whole clusters: what the host reports and what the DC does with it.</summary>
public sealed class VmOnFailClusterTests : VmClusterTestKit
{
    private static readonly NodeId Two = new(2);

    [Fact]
    public void StopFails_DefaultOnFailWithFencing_FencesTheHost_ThenTheVmIsReleased()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([Two], RunningOn("WEB-01"));
        Hypervisors[Two].IgnoreShutdown = true;
        Hypervisors[Two].KillFailures = 1000;

        Assert.True(Ask<OperatorCommandResult>(cluster, 1, new SetVmDesired("WEB-01", VmDesiredState.Stopped)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(20));

        Assert.Contains("node2", cluster.Fenced);
        var events = cluster[1].StreamEvents();
        var failed = Assert.Single(events.OfType<VmOperationFailed>());
        Assert.Equal(("stop", VmOnFail.Fence), (failed.Operation, failed.OnFail));
        Assert.Contains(events.OfType<FenceRequested>(), r => r.Target == Two && r.Reason.Contains("WEB-01", StringComparison.Ordinal));
        Assert.Empty(RunningOn("WEB-01"));
        Assert.Null(cluster[1].View!.State.Vms["WEB-01"].Node);
    }

    [Fact]
    public void StopFails_OnFailBlock_LeavesItUnmanagedWhereItIs_NothingFenced()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2") with { OnFail = new VmOnFailPolicy(Stop: VmOnFail.Block) });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Hypervisors[Two].IgnoreShutdown = true;
        Hypervisors[Two].KillFailures = 1000;

        Assert.True(Ask<OperatorCommandResult>(cluster, 1, new SetVmDesired("WEB-01", VmDesiredState.Stopped)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(20));

        Assert.Empty(cluster.Fenced);
        var vm = cluster[1].View!.State.Vms["WEB-01"];
        Assert.Equal((VmRunState.Stopping, (NodeId?)Two, true), (vm.State, vm.Node, vm.Unmanaged));
        Assert.Equal([Two], RunningOn("WEB-01"));
    }

    [Fact]
    public void MonitorFails_OnFailStandby_TheHostGoesStandby_AndItsVmsRunElsewhere()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2") with { OnFail = new VmOnFailPolicy(Monitor: VmOnFail.Standby) }, Vm("DB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([Two], RunningOn("DB-01"));

        Hypervisors[Two].Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed, "guest crashed");
        cluster.Run(TimeSpan.FromSeconds(20));

        var state = cluster[1].View!.State;
        Assert.Equal(NodeState.Standby, state.StateOf(Two));
        Assert.Empty(cluster.Fenced);
        foreach (var name in new[] { "WEB-01", "DB-01" })
        {
            var on = Assert.Single(RunningOn(name));
            Assert.NotEqual(Two, on);
            Assert.Equal(on, state.Vms[name].Node);
        }
    }

    [Fact]
    public void MonitorFails_OnFailFence_FencesTheHost_AndTheVmRestartsElsewhere()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2") with { OnFail = new VmOnFailPolicy(Monitor: VmOnFail.Fence) });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));

        Hypervisors[Two].Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed, "guest crashed");
        cluster.Run(TimeSpan.FromSeconds(25));

        Assert.Contains("node2", cluster.Fenced);
        var on = Assert.Single(RunningOn("WEB-01"));
        Assert.NotEqual(Two, on);
    }

    [Fact]
    public void MonitorFails_OnFailFence_HostCannotBeFenced_TheVmIsBlockedWhereItIs_NotLeftPending()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2") with { OnFail = new VmOnFailPolicy(Monitor: VmOnFail.Fence) });
        cluster.FenceImpossible.Add(Two);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));

        Hypervisors[Two].Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed, "guest crashed");
        cluster.Run(TimeSpan.FromSeconds(40));

        Assert.Empty(cluster.Fenced);
        var blocked = Assert.Single(cluster[1].StreamEvents().OfType<VmFenceBlocked>());
        Assert.Equal(Two, blocked.Node);
        // on-fail block: unmanaged; its host, finding it off, reports it failed without touching it; nothing starts elsewhere
        var vm = cluster[1].View!.State.Vms["WEB-01"];
        Assert.Equal((VmRunState.Failed, true, (NodeId?)null), (vm.State, vm.Unmanaged, vm.FenceFor));
        Assert.Empty(RunningOn("WEB-01"));
        Assert.Equal(VmPowerState.Crashed, Hypervisors[Two].Domains["WEB-01"].State);
    }

    [Fact]
    public void UnmanagedVm_Crashes_IsNotRestarted_ThenManaged_RunsAgain()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.True(Ask<OperatorCommandResult>(cluster, 1, new SetVmManaged("WEB-01", false)).Accepted);

        Hypervisors[Two].Domains["WEB-01"] = new VmStatus(VmPowerState.Stopped, "shut down inside the guest");
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.Empty(RunningOn("WEB-01"));
        Assert.Equal(0, Hypervisors.Values.Sum(h => h.Calls.Count(c => c == "start WEB-01")) - 1); // only the first start
        var vm = cluster[1].View!.State.Vms["WEB-01"];
        Assert.Equal((VmRunState.Failed, true), (vm.State, vm.Unmanaged));

        Assert.True(Ask<OperatorCommandResult>(cluster, 1, new SetVmManaged("WEB-01", true)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Single(RunningOn("WEB-01"));
    }

    [Fact]
    public void HostInMaintenance_VmCrashes_IsLeftAsItIs_UntilMaintenanceEnds()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.True(Ask<OperatorCommandResult>(cluster, 2, new SetNodeMode("node2", NodeMode.MaintenanceOn)).Accepted);

        Hypervisors[Two].Domains["WEB-01"] = new VmStatus(VmPowerState.Crashed, "guest crashed");
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.Empty(RunningOn("WEB-01"));
        Assert.Equal((VmRunState.Running, (NodeId?)Two), (cluster[1].View!.State.Vms["WEB-01"].State, cluster[1].View!.State.Vms["WEB-01"].Node));

        Assert.True(Ask<OperatorCommandResult>(cluster, 2, new SetNodeMode("node2", NodeMode.MaintenanceOff)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([Two], RunningOn("WEB-01")); // monitored again: restarted in place
    }
}
