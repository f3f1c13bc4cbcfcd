using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Tests.Cluster;
using Haven.Actors.Vms;
using Haven.TestKit;

namespace Haven.Actors.Tests.Vms;

/// <summary>VMs in whole clusters: placement, failover after fencing, operator commands, orphans, groups.</summary>
public sealed class VmClusterTests : VmClusterTestKit
{
    [Fact]
    public void ConfiguredVms_RunOnTheirPreferredHosts_Once()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2"), Vm("DB-01", "node3"));
        cluster.StartAll();

        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.Equal([new NodeId(2)], RunningOn("WEB-01"));
        Assert.Equal([new NodeId(3)], RunningOn("DB-01"));
        Assert.All(cluster.Hosts, h => Assert.Equal(VmRunState.Running, h.View!.State.Vms["WEB-01"].State));
    }

    [Fact]
    public void HostLost_VmRestartsOnASurvivor_OnlyAfterTheHostIsFenced()
    {
        var cluster = Cluster(3, Vm("WEB-01", "node2"));
        cluster.FenceFailures.Add(new NodeId(2));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));

        cluster.Network.Partition([new NodeId(1), new NodeId(3)], [new NodeId(2)]);
        cluster.Run(TimeSpan.FromSeconds(20));

        Assert.Empty(RunningOn("WEB-01")); // fencing fails: nothing starts elsewhere, and node2 stopped it (no-quorum-policy stop)
        Assert.Equal(new NodeId(2), cluster[1].View!.State.Vms["WEB-01"].Node);

        cluster.FenceFailures.Clear();
        cluster.Run(TimeSpan.FromSeconds(30));

        Assert.Contains("node2", cluster.Fenced);
        var now = Assert.Single(RunningOn("WEB-01"));
        Assert.NotEqual(new NodeId(2), now);
        Assert.Equal(now, cluster[1].View!.State.Vms["WEB-01"].Node);
    }

    [Fact]
    public void OperatorStopAndStart_StopsThenStartsTheVm()
    {
        var cluster = Cluster(2, Vm("WEB-01", "node1"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));

        Assert.True(Ask<OperatorCommandResult>(cluster, 2, new SetVmDesired("web-01", VmDesiredState.Stopped)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Empty(RunningOn("WEB-01"));
        Assert.Equal(VmRunState.Stopped, cluster[1].View!.State.Vms["WEB-01"].State);

        Assert.True(Ask<OperatorCommandResult>(cluster, 1, new SetVmDesired("WEB-01", VmDesiredState.Started)).Accepted);
        cluster.Run(TimeSpan.FromSeconds(10));
        Assert.Equal([new NodeId(1)], RunningOn("WEB-01"));
    }

    [Fact]
    public void OperatorMigrate_MovesTheRunningVm()
    {
        // No preference: with one, the DC would follow the better score back (Pacemaker without a move constraint).
        var cluster = Cluster(2, Vm("WEB-01", "node1", migrate: true) with { Preferences = [] });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([new NodeId(1)], RunningOn("WEB-01"));
        Hypervisors[new NodeId(1)].Calls.Clear();

        var result = Ask<OperatorCommandResult>(cluster, 1, new MigrateVm("WEB-01", "node2"));
        cluster.Run(TimeSpan.FromSeconds(5));

        Assert.True(result.Accepted, result.Message);
        Assert.Contains("migrate node2 WEB-01", Hypervisors[new NodeId(1)].Calls);
        Assert.Equal(new NodeId(2), cluster[1].View!.State.Vms["WEB-01"].Node);
        Assert.Equal([new NodeId(2)], RunningOn("WEB-01"));
    }

    [Fact]
    public void OperatorCommands_BadInput_RefusedWithTheReason()
    {
        var cluster = Cluster(2);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        var badName = Ask<OperatorCommandResult>(cluster, 1, new AddVm(new VmSpec("x", "process", "cmd")));
        var unknownNode = Ask<OperatorCommandResult>(cluster, 1, new AddVm(Vm("WEB-01", "node9")));
        var unknownVm = Ask<OperatorCommandResult>(cluster, 1, new MigrateVm("NOPE-1", "node2"));

        Assert.False(badName.Accepted);
        Assert.Contains("too short", badName.Message);
        Assert.Contains("--prefer node9=100: node \"node9\" is not a node of this cluster (known: node1", unknownNode.Message);
        Assert.Contains("not managed", unknownVm.Message);
        Assert.Empty(cluster[1].View!.State.Vms);
    }

    [Fact]
    public void RestartedDaemon_KillsAnOrphanTheClusterPutElsewhere()
    {
        var cluster = Cluster(2, Vm("WEB-01", "node1"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));

        cluster[2].PowerOff();
        Hypervisors[new NodeId(2)].Domains["WEB-01"] = new VmStatus(VmPowerState.Running); // a domain the host comes back with
        cluster[2].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(30));

        Assert.Equal([new NodeId(1)], RunningOn("WEB-01"));
    }

    [Fact]
    public void ApplianceGroup_StartsInOrder_WithTheDelayAfterTheLowerOrderRuns()
    {
        var db = Vm("DB-01", "node1") with { Group = "SHOP", Order = 0 };
        var web = Vm("WEB-01", "node2") with { Group = "SHOP", Order = 1, StartDelay = TimeSpan.FromSeconds(20) };
        var cluster = Cluster(2, web, db, Vm("MAIL-01", "node2"));
        cluster.StartAll();

        var firstRunning = new Dictionary<string, int>();
        for (var second = 1; second <= 60; second++)
        {
            cluster.Run(TimeSpan.FromSeconds(1));
            foreach (var vm in new[] { "DB-01", "WEB-01", "MAIL-01" })
                if (RunningOn(vm).Any()) firstRunning.TryAdd(vm, second);
        }

        Assert.True(firstRunning.ContainsKey("WEB-01"), "WEB-01 never started: the delay's timer was missed");
        var gap = firstRunning["WEB-01"] - firstRunning["DB-01"];
        Assert.InRange(gap, 20, 24); // not before the delay, and not much later (a timer, not the next unrelated event)
        Assert.True(firstRunning["MAIL-01"] < firstRunning["WEB-01"] - 10, "a VM outside the group must not wait");
        Assert.Equal([new NodeId(2)], RunningOn("WEB-01"));
    }
}
