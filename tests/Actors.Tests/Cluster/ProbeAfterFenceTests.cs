using Haven.Actors.Cluster;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

/// <summary>
/// Whether a take needs the duplicate-address probe is decided from the replicated state alone
/// (<see cref="ClusterState.ProbeBeforeTaking"/>): no probe only when the address's last holder was released
/// while a fence device had confirmed it off.
/// </summary>
public sealed class ProbeAfterFenceTests
{
    private static readonly IpTaken TakeOn2 = new("eth0", "10.0.0.5", 24, N(2));
    private static readonly IpTaken TakeOn1 = new("eth0", "10.0.0.5", 24, N(1));
    private static readonly IpReleased ReleaseFrom2 = new("eth0", "10.0.0.5", 24, N(2));

    /// <summary>Node 2 holds the address, is lost and downed, and a fence is requested for it.</summary>
    private static ClusterState HolderLost() => ThreeUp().ApplyAll(
        [TakeOn2, new NodeUnreachable(N(2)), new NodeDown(N(2), "lost"), new FenceRequested(N(2), N(1), "lost")]);

    [Fact]
    public void ProbeBeforeTaking_AddressNeverHeld_Probes()
    {
        Assert.True(ThreeUp().ProbeBeforeTaking("10.0.0.5"));
    }

    [Fact]
    public void ProbeBeforeTaking_HolderFencedByDeviceThenReleased_SkipsTheProbe()
    {
        var state = HolderLost().ApplyAll([new FenceSucceeded(N(2), "snmp-ibm-amm"), ReleaseFrom2]);

        Assert.False(state.ProbeBeforeTaking("10.0.0.5"));
        Assert.Equal(N(2), state.VacatedByFence["10.0.0.5"]);
        Assert.True(state.ProbeBeforeTaking("10.0.0.6")); // another address keeps its probe
    }

    [Fact]
    public void ProbeBeforeTaking_SameAddressWrittenDifferently_SameAnswer()
    {
        var state = ThreeUp().ApplyAll([new IpTaken("eth0", "2001:DB8:0::1", 64, N(2)), new NodeUnreachable(N(2)),
            new NodeDown(N(2), "lost"), new FenceRequested(N(2), N(1), "lost"), new FenceSucceeded(N(2), "ipmi"),
            new IpReleased("eth0", "2001:db8::1", 64, N(2))]);

        Assert.False(state.ProbeBeforeTaking("2001:db8:0:0::1"));
    }

    [Fact]
    public void ProbeBeforeTaking_CleanRelease_Probes()
    {
        var state = ThreeUp().ApplyAll([TakeOn2, ReleaseFrom2]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
        Assert.Empty(state.VacatedByFence);
    }

    [Fact]
    public void ProbeBeforeTaking_CleanLeave_Probes()
    {
        var state = ThreeUp().ApplyAll([TakeOn2, new NodeLeaving(N(2)), ReleaseFrom2, new NodeLeft(N(2))]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
    }

    [Fact]
    public void ProbeBeforeTaking_RecoverOnFailure_Probes()
    {
        // The fence failed and recover-on-failure recovered the host anyway: nobody confirmed it off.
        var state = HolderLost().ApplyAll([new FenceFailed(N(2), "device did not answer"), new NodeFenced(N(2), ClusterActor.UnconfirmedDevice), ReleaseFrom2]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
    }

    [Fact]
    public void ProbeBeforeTaking_OperatorConfirmedOff_Probes()
    {
        var state = HolderLost().ApplyAll([new FenceConfirmed(N(2), N(1), "pulled the power cord"), ReleaseFrom2]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
    }

    [Fact]
    public void ProbeBeforeTaking_AfterTheTake_ProbesAgain()
    {
        var state = HolderLost().ApplyAll([new FenceSucceeded(N(2), "ipmi"), ReleaseFrom2, TakeOn1]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
        Assert.Empty(state.VacatedByFence);
        // Node 1 lets it go cleanly: the next take probes, whatever happened to node 2 before.
        Assert.True(state.ApplyAll([new IpReleased("eth0", "10.0.0.5", 24, N(1))]).ProbeBeforeTaking("10.0.0.5"));
    }

    [Fact]
    public void ProbeBeforeTaking_FencedHolderJoinsAgainBeforeTheTake_Probes()
    {
        var state = HolderLost().ApplyAll([new FenceSucceeded(N(2), "ipmi"), ReleaseFrom2, new NodeJoined(N(2), "node2")]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
    }

    [Fact]
    public void ProbeBeforeTaking_FencedAgainAfterRejoining_OnlyTheLatestFenceCounts()
    {
        // Fenced by a device once; rejoins; later recovered without confirmation: the earlier fence does not count.
        var state = HolderLost().ApplyAll([new FenceSucceeded(N(2), "ipmi"), ReleaseFrom2, new NodeJoined(N(2), "node2"),
            new NodeUp(N(2)), TakeOn2, new NodeDown(N(2), "lost"), new FenceRequested(N(2), N(1), "lost"),
            new FenceFailed(N(2), "timeout"), new NodeFenced(N(2), ClusterActor.UnconfirmedDevice), ReleaseFrom2]);

        Assert.True(state.ProbeBeforeTaking("10.0.0.5"));
    }
}
