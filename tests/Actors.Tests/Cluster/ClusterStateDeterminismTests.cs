using Haven.Actors.Cluster;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

public sealed class ClusterStateDeterminismTests
{
    /// <summary>A seeded stream of events that the state accepted, in the order they were accepted.</summary>
    private static List<IClusterEvent> AcceptedStream(int seed, int length)
    {
        var random = new Random(seed);
        var state = ClusterState.Empty;
        var accepted = new List<IClusterEvent>();
        while (accepted.Count < length)
        {
            var node = N((uint)random.Next(1, 6));
            var ip = $"10.0.0.{random.Next(1, 5)}";
            IClusterEvent e = random.Next(18) switch
            {
                0 => new NodeJoined(node, $"node{node}"),
                1 or 2 => new NodeUp(node),
                3 => new NodeUnreachable(node),
                4 => new NodeDown(node, "test"),
                5 => new FenceRequested(node, N(1), "test"),
                6 => new FenceSucceeded(node, "ipmi"),
                7 => new NodeLeaving(node),
                8 => new NodeLeft(node),
                9 => new NodeStandby(node),
                10 => new NodeUnhealthy(node, "monitor"),
                11 => new NodeHealthy(node),
                12 or 13 => new IpTaken("eth0", ip, 24, node),
                14 => new IpReleased("eth0", ip, 24, node),
                15 => new DcChanged(state.ExpectedDc),
                16 => new RecoveryStarted(node),
                _ => new RecoveryCompleted(),
            };
            if (state.TryApply(e, out var next, out _))
            {
                state = next;
                accepted.Add(e);
            }
            else
            {
                Assert.Same(state, next);
            }
        }
        return accepted;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Apply_SameEventsTwice_EqualStates(int seed)
    {
        var events = AcceptedStream(seed, 2_000);
        var first = ClusterState.Empty.ApplyAll(events);
        var second = ClusterState.Empty.ApplyAll(events.ToArray());

        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
        Assert.Equal(2_000, first.Version);
    }

    [Fact]
    public void Apply_DifferentStreams_DifferentStates()
    {
        var a = ClusterState.Empty.ApplyAll(AcceptedStream(1, 500));
        var b = ClusterState.Empty.ApplyAll(AcceptedStream(2, 500));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Equals_SameContentsBuiltInDifferentOrder_EqualExceptOrderSensitiveFields()
    {
        var ab = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.1", 24, N(1))).Apply(new IpTaken("eth0", "10.0.0.2", 24, N(2)));
        var ba = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.2", 24, N(2))).Apply(new IpTaken("eth0", "10.0.0.1", 24, N(1)));
        Assert.Equal(ab.Ips.OrderBy(i => i.Key).ToList(), ba.Ips.OrderBy(i => i.Key).ToList());
        Assert.NotEqual(ab, ba); // IpHoldings records which take came first: order-sensitive, as Version is
        var same = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.1", 24, N(1))).Apply(new IpTaken("eth0", "10.0.0.2", 24, N(2)));
        Assert.Equal(ab, same);
        Assert.NotEqual(ab, ab.Apply(new IpReallocated()));
    }

    [Fact]
    public void Apply_DoesNotChangeTheOriginal()
    {
        var before = ThreeUp();
        var after = before.Apply(new NodeStandby(N(2)));
        Assert.Equal(NodeState.Up, before.StateOf(N(2)));
        Assert.Equal(NodeState.Standby, after.StateOf(N(2)));
    }
}
