using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Tests.Vms;

/// <summary>
/// Pacemaker's no-quorum-policy on the side that lost the split-brain decision: node3 is cut off and its fence fails,
/// so what it does with its VM and address is its policy's doing alone.
/// </summary>
public sealed class NoQuorumPolicyTests : VmClusterTestKit
{
    private static readonly NodeId Three = new(3);

    private TestClusterRun Split(NoQuorumPolicy? policy, bool unmanaged = false)
    {
        var cluster = Cluster(3, policy, Vm("WEB-01", "node3"));
        cluster.FenceFailures.Add(Three);
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(15));
        Assert.Equal([Three], RunningOn("WEB-01"));
        Assert.NotEmpty(cluster[3].HeldAddresses);
        if (unmanaged) Assert.True(Ask<OperatorCommandResult>(cluster, 3, new Haven.Actors.Vms.SetVmManaged("WEB-01", false)).Accepted);

        cluster.Network.Partition([new NodeId(1), new NodeId(2)], [Three]);
        cluster.Run(TimeSpan.FromSeconds(20));
        return new TestClusterRun(cluster);
    }

    private sealed record TestClusterRun(Haven.Actors.Tests.Cluster.TestCluster Cluster);

    [Fact]
    public void Default_IsStop_TheLosingHostStopsItsVmsAndReleasesItsAddresses_ThenWatchdogHearsDemoted()
    {
        var run = Split(null);

        Assert.Empty(RunningOn("WEB-01"));
        Assert.Empty(run.Cluster[3].HeldAddresses);
        Assert.Equal(["demoting", "demoted"], run.Cluster[3].SelfFence.Calls.Where(c => c.StartsWith("demot", StringComparison.Ordinal)).ToList());
        Assert.Empty(run.Cluster[3].Reboots);
    }

    [Fact]
    public void Stop_AfterTheHeal_TheVmRunsAgain()
    {
        var run = Split(NoQuorumPolicy.Stop);
        Assert.Empty(RunningOn("WEB-01"));

        run.Cluster.Network.Heal();
        run.Cluster.FenceFailures.Clear();
        run.Cluster.Run(TimeSpan.FromSeconds(40));

        var on = Assert.Single(RunningOn("WEB-01"));
        Assert.Equal(on, run.Cluster[1].View!.State.Vms["WEB-01"].Node);
    }

    [Fact]
    public void Freeze_KeepsTheVmRunning_ReleasesTheAddresses()
    {
        var run = Split(NoQuorumPolicy.Freeze);

        Assert.Equal([Three], RunningOn("WEB-01"));
        Assert.Empty(run.Cluster[3].HeldAddresses);
    }

    [Fact]
    public void Ignore_KeepsTheVmAndTheAddresses()
    {
        var run = Split(NoQuorumPolicy.Ignore);

        Assert.Equal([Three], RunningOn("WEB-01"));
        Assert.NotEmpty(run.Cluster[3].HeldAddresses);
        Assert.Equal(PartitionRole.Minority, run.Cluster[3].View!.Role); // it still decides nothing
    }

    [Theory]
    [InlineData(NoQuorumPolicy.Fence)]
    [InlineData(NoQuorumPolicy.Suicide)]
    public void Fence_StopsEverythingThenRebootsItself(NoQuorumPolicy policy)
    {
        var run = Split(policy);

        Assert.Empty(RunningOn("WEB-01"));
        Assert.Empty(run.Cluster[3].HeldAddresses);
        Assert.Contains("no-quorum-policy fence", Assert.Single(run.Cluster[3].Reboots));
    }

    [Theory]
    [InlineData(NoQuorumPolicy.Stop)]
    [InlineData(NoQuorumPolicy.Demote)]
    public void StoppingPolicy_UnmanagedVm_IsLeftRunning_TheAddressesAreReleased(NoQuorumPolicy policy)
    {
        var run = Split(policy, unmanaged: true);

        Assert.Equal([Three], RunningOn("WEB-01")); // is-managed=false: the cluster never stops it, quorum or not
        Assert.Empty(run.Cluster[3].HeldAddresses);
        Assert.Contains("demoted", run.Cluster[3].SelfFence.Calls);
    }

    [Fact]
    public void Demote_StopsLikeStop()
    {
        var run = Split(NoQuorumPolicy.Demote);

        Assert.Empty(RunningOn("WEB-01"));
        Assert.Empty(run.Cluster[3].Reboots);
    }
}
