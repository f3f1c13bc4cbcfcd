using Haven.Actors.Cluster;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// A host's release names the holding it let go of: a release held up while the address was released and given back to
/// the same host must not hand the new holding to another host (swarm seed 1762630333).
/// </summary>
public sealed class IpHoldingTests
{
    [Fact]
    public void Release_OfAnEarlierHolding_IsRejected_TheCurrentOneAccepted()
    {
        var first = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.12", 24, N(2)));
        var earlier = first.HoldingOf("10.0.0.12");
        var again = first.Apply(new IpReleased("eth0", "10.0.0.12", 24, N(2))).Apply(new IpTaken("eth0", "10.0.0.12", 24, N(2)));

        Assert.NotEqual(earlier, again.HoldingOf("10.0.0.12"));
        Assert.Contains("answers an earlier holding", again.Validate(new IpReleased("eth0", "10.0.0.12", 24, N(2), earlier)));
        Assert.Null(again.Validate(new IpReleased("eth0", "10.0.0.12", 24, N(2), again.HoldingOf("10.0.0.12"))));
    }

    [Fact]
    public void Release_NamingNoHolding_IsNotChecked_AndAReleaseForgetsTheHolding()
    {
        var held = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.12", 24, N(2)));

        var released = held.Apply(new IpReleased("eth0", "10.0.0.12", 24, N(2)));

        Assert.Equal(0, released.HoldingOf("10.0.0.12"));
        Assert.Empty(released.IpHoldings);
    }

    [Fact]
    public void Holdings_SurviveTheImage_AndAnOlderImageWithoutThemReadsAsUnchecked()
    {
        var held = ThreeUp().Apply(new IpTaken("eth0", "10.0.0.12", 24, N(2)));

        Assert.Equal(held.HoldingOf("10.0.0.12"), ClusterState.FromImage(held.ToImage()).HoldingOf("10.0.0.12"));
        Assert.Equal(0, ClusterState.FromImage(held.ToImage() with { IpHoldings = null }).HoldingOf("10.0.0.12"));
    }
}
