using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Tests.Vms;

/// <summary>A daemon's clean stop under shutdown-lock on a running cluster: its VMs stop there, stay locked, and start there again.</summary>
public sealed class VmShutdownLockClusterTests : VmClusterTestKit
{
    private static readonly string[] Names = ["WEB-01", "DB-01"];

    [Fact]
    public void CleanShutdown_ShutdownLockOn_VmsStopLockedNotStartedElsewhere_ThenStartThereWhenTheHostIsBack()
    {
        PolicyOverride = p => p with { ShutdownLock = true };
        var cluster = Cluster(3, Vm("WEB-01", "node2", migrate: true), Vm("DB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        var n2 = new NodeId(2);
        Assert.All(Names, vm => Assert.Equal([n2], RunningOn(vm)));

        var result = Ask<CleanShutdownResult>(cluster, 2, ShutDownCleanly.Instance, TimeSpan.FromSeconds(20));

        Assert.True(result.Locked, result.Message);
        var state = cluster[1].View!.State;
        Assert.Equal(NodeState.Left, state.StateOf(n2));
        Assert.All(Names, vm => Assert.Equal(new VmShutdownLock(n2, state.Vms[vm].Lock!.At), state.Vms[vm].Lock));
        Assert.Empty(state.PendingFences);
        cluster[2].PowerOff(); // the daemon and the host stop
        for (var i = 0; i < 30; i++)
        {
            cluster.Run(TimeSpan.FromSeconds(1));
            Assert.All(Names, vm => Assert.Empty(RunningOn(vm))); // locked: started nowhere while node2 is away
        }
        Assert.DoesNotContain(cluster[1].View!.State.Vms.Values, v => v.Placed);

        cluster[2].PowerOn();
        cluster.Run(TimeSpan.FromSeconds(20));

        Assert.All(Names, vm => Assert.Equal([n2], RunningOn(vm)));
        Assert.All(Names, vm => Assert.Null(cluster[1].View!.State.Vms[vm].Lock));
        Assert.DoesNotContain(cluster[1].StreamEvents(), e => e is FenceRequested);
    }

    [Fact]
    public void CleanShutdown_ShutdownLockOff_DoesNothing_TheHostIsLostAsBefore()
    {
        var cluster = Cluster(2, Vm("WEB-01", "node2"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));

        var result = Ask<CleanShutdownResult>(cluster, 2, ShutDownCleanly.Instance);

        Assert.False(result.Locked);
        Assert.Contains("shutdown-lock is off", result.Message);
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(new NodeId(2)));
        Assert.Null(cluster[1].View!.State.Vms["WEB-01"].Lock);
    }

    [Fact]
    public void CleanShutdown_OnlyMember_NothingIsLocked()
    {
        PolicyOverride = p => p with { ShutdownLock = true };
        var cluster = Cluster(1, Vm("WEB-01", "node1"));
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        var result = Ask<CleanShutdownResult>(cluster, 1, ShutDownCleanly.Instance);

        Assert.False(result.Locked);
        Assert.Contains("only member", result.Message);
        Assert.Equal(NodeState.Up, cluster[1].View!.State.StateOf(new NodeId(1)));
    }
}
