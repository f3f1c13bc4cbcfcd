using Haven.Actors.Alerts;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Tests.Alerts;

public sealed class AlertRulesTests
{
    private static readonly NodeId N1 = new(1);
    private static readonly NodeId N2 = new(2);

    private static ClusterState TwoUp() => ClusterState.Empty.ApplyAll(
        [new NodeJoined(N1, "alpha"), new NodeUp(N1), new NodeJoined(N2, "beta"), new NodeUp(N2)]);

    [Fact]
    public void FromEvent_FenceRequested_IsAFenceAlertNamingTargetRequesterAndReason()
    {
        var state = TwoUp().Apply(new NodeDown(N2, "lost"));

        var alert = Assert.Single(AlertRules.FromEvent(state, new FenceRequested(N2, N1, "node lost")));

        Assert.Equal(AlertKind.Fence, alert.Kind);
        Assert.Equal("fence:2", alert.Key);
        Assert.Equal("Fencing beta (node 2) (requested by alpha (node 1)): node lost", alert.Text);
    }

    [Fact]
    public void FromEvent_FenceFailed_IsKeyedByTarget()
    {
        var alert = Assert.Single(AlertRules.FromEvent(TwoUp(), new FenceFailed(N2, "amm timeout")));

        Assert.Equal(AlertKind.FenceFailed, alert.Kind);
        Assert.Equal("fence-failed:2", alert.Key);
        Assert.Contains("amm timeout", alert.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("succeeded", AlertKind.Fence, "fenced:2")]
    [InlineData("unhealthy", AlertKind.Unhealthy, "unhealthy:2")]
    [InlineData("healthy", AlertKind.Healthy, "healthy:2")]
    [InlineData("down", AlertKind.NodeDown, "down:2")]
    [InlineData("demoted", AlertKind.SplitBrain, "split-brain:epoch0")]
    public void FromEvent_NodeEvents_MapToTheirKindAndKey(string which, AlertKind kind, string key)
    {
        IClusterEvent e = which switch
        {
            "succeeded" => new FenceSucceeded(N2, "amm1"),
            "unhealthy" => new NodeUnhealthy(N2, "monitor failed"),
            "healthy" => new NodeHealthy(N2),
            "down" => new NodeDown(N2, "split"),
            _ => new PartitionDemoted(N2),
        };

        var alert = Assert.Single(AlertRules.FromEvent(TwoUp(), e));

        Assert.Equal(kind, alert.Kind);
        Assert.Equal(key, alert.Key);
        Assert.Contains("beta", alert.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void FromEvent_IpTakenWhileANodeIsLost_IsAFailover()
    {
        var state = TwoUp().Apply(new NodeDown(N2, "lost")).Apply(new NodeFenced(N2, "amm"));

        var alert = Assert.Single(AlertRules.FromEvent(state, new IpTaken("eth0", "192.0.2.10", 24, N1)));

        Assert.Equal(AlertKind.Failover, alert.Kind);
        Assert.Equal("failover:192.0.2.10", alert.Key);
        Assert.Equal("Address 192.0.2.10/24 on eth0 taken over by alpha (node 1) after the loss of beta (node 2)", alert.Text);
    }

    [Fact]
    public void FromEvent_IpTakenInAHealthyCluster_IsNoAlert()
    {
        Assert.Empty(AlertRules.FromEvent(TwoUp(), new IpTaken("eth0", "192.0.2.10", 24, N1)));
    }

    [Fact]
    public void FromEvent_RoutineEvents_AreNoAlerts()
    {
        Assert.Empty(AlertRules.FromEvent(TwoUp(), new DcChanged(N1)));
        Assert.Empty(AlertRules.FromEvent(TwoUp(), new NodeUnreachable(N2)));
        Assert.Empty(AlertRules.FromEvent(TwoUp(), new IpReallocated()));
    }
}
