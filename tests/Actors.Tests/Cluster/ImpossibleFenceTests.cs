using Haven.Actors.Cluster;
using Haven.Actors.Fencing;
using Haven.Actors.Membership;
using Haven.TestKit;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// A fence that cannot succeed as configured (fencing off) is journaled once with its reason, kept in the
/// replicated state for `haven cluster status` and `haven health`, and not requested again on a timer —
/// only when the fencing rules change.
/// </summary>
public class ImpossibleFenceTests : HavenTestKit
{
    private static readonly NodeId N1 = new(1), N2 = new(2), N3 = new(3);

    [Fact]
    public void FencingOff_LostHost_FenceFailsOnceWithItsReason_AndIsRetriedOnlyWhenTheRulesChange()
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Fencing = new FencingPolicy { Enabled = false } });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromMinutes(30)); // the retry backoff would have fired a dozen times

        var failed = Assert.Single(cluster[1].StreamEvents().OfType<FenceFailed>());
        Assert.Contains("fencing is disabled", failed.Reason);
        Assert.Contains("not retried until the fencing rules change", failed.Reason);
        Assert.Single(cluster[2].StreamEvents().OfType<FenceRequested>());
        var node3 = cluster[2].View!.State.Nodes[N3];
        Assert.Equal((NodeState.Down, failed.Reason), (node3.State, node3.FenceFailure));
        Assert.Empty(cluster.Fenced);

        // Another rule set cluster-wide: the rules the fence failed under are gone, so it is tried once more.
        var set = cluster[2].Command(new SetSetting(FencingRulesConfig.QuorumRequiredKey, "off"));
        Assert.True(set.Accepted, set.Message);
        cluster.Run(TimeSpan.FromMinutes(30));

        Assert.Equal(2, cluster[1].StreamEvents().OfType<FenceFailed>().Count());
        Assert.Equal(NodeState.Down, cluster[1].View!.State.StateOf(N3));
        Assert.Empty(cluster.Fenced);
    }

    [Fact]
    public void RetryableFailure_IsStillRetriedWithBackoff()
    {
        var cluster = new TestCluster(this, 3, configure: o => o with { Fencing = new FencingPolicy { MinHosts = 3 } });
        cluster.StartAll();
        cluster.Run(TimeSpan.FromSeconds(10));

        cluster.Network.Partition([N1, N2], [N3]);
        cluster.Run(TimeSpan.FromMinutes(5));

        Assert.True(cluster[1].StreamEvents().OfType<FenceFailed>().Count() > 1, "a min-hosts refusal depends on the membership: it is retried");
        Assert.DoesNotContain(cluster[1].StreamEvents().OfType<FenceFailed>(), f => f.Reason.Contains("not retried", StringComparison.Ordinal));
    }
}
