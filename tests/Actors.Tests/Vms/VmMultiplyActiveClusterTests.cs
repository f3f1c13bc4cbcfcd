using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Tests.Vms;

/// <summary>A second copy of a VM on a running cluster: forced off where found, then the VM's multiple-active.</summary>
public sealed class VmMultiplyActiveClusterTests : VmClusterTestKit
{
    [Theory]
    [InlineData(VmMultipleActive.StopStart)]
    [InlineData(VmMultipleActive.StopOnly)]
    [InlineData(VmMultipleActive.Block)]
    public void SecondCopyFoundByARestartedHost_ForcedOffThere_ThenThePolicy(VmMultipleActive policy)
    {
        var cluster = Cluster(2, Vm("WEB-01", "node1") with { MultipleActive = policy });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        var (n1, n2) = (new NodeId(1), new NodeId(2));
        Assert.Equal([n1], RunningOn("WEB-01"));
        var startsOnN1 = Hypervisors[n1].Calls.Count(c => c.StartsWith("start", StringComparison.Ordinal));

        cluster[2].PowerOff();
        Hypervisors[n2].Domains["WEB-01"] = new VmStatus(VmPowerState.Running); // a domain the host comes back with
        cluster[2].PowerOn();
        var gone = false;
        for (var i = 0; i < 60; i++)
        {
            cluster.Run(TimeSpan.FromMilliseconds(500));
            var onN2 = RunningOn("WEB-01").Contains(n2);
            if (gone) Assert.False(onN2, "the second copy came back on node2");
            gone |= !onN2;
            if (cluster[1].View?.State.Vms["WEB-01"].Reason.Contains("second copy") == true)
                Assert.False(onN2, "reported before the second copy was off"); // forced off first, whatever the policy
        }
        Assert.True(gone);

        var vm = cluster[1].View!.State.Vms["WEB-01"];
        Assert.Contains(cluster[1].StreamEvents(), e => e is VmMultiplyActive { Name: "WEB-01" } found && found.Node == n2);
        switch (policy)
        {
            case VmMultipleActive.StopStart: // stop all, start one: restarted on node1
                Assert.Equal([n1], RunningOn("WEB-01"));
                Assert.True(Hypervisors[n1].Calls.Count(c => c.StartsWith("start", StringComparison.Ordinal)) > startsOnN1, string.Join(", ", Hypervisors[n1].Calls));
                break;
            case VmMultipleActive.StopOnly:
                Assert.Empty(RunningOn("WEB-01"));
                Assert.Equal(VmDesiredState.Stopped, vm.Desired);
                break;
            default: // block: left running where the state has it, unmanaged
                Assert.Equal([n1], RunningOn("WEB-01"));
                Assert.True(vm.Unmanaged);
                Assert.Equal(startsOnN1, Hypervisors[n1].Calls.Count(c => c.StartsWith("start", StringComparison.Ordinal)));
                break;
        }
    }
}
