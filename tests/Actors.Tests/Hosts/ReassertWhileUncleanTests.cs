using Haven.Actors.Cluster;
using Haven.Actors.Hosts;
using Haven.Actors.Membership;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Hosts;

/// <summary>
/// The rule: an address a host may not hold any more is put back (reasserted) only while no node is unclean to its view —
/// down, unreachable, being fenced, or lost from the view and not downed yet (docs/cluster.md, "Why nothing starts twice").
/// Swarm seed 1847119497: a fenced, rebooted host readmitted by a primary whose history had missed another host's
/// takeover of its address put it back while that host, lost and not fenced, still held it.
/// </summary>
public sealed class ReassertWhileUncleanTests
{
    private const string Ip = "10.0.0.11";
    private static readonly PublicAddress Address = new(Ip, 24, "eth0");
    private static readonly HostFacts Host1 = new(N(1), Left: false, LocalVms: [], Members: [N(1), N(3)]);

    /// <summary>
    /// The seed's state on the primary [n1, n3]: n1 held the address and was fenced (the DC released nothing: nothing moves
    /// while a node is unclean), n2 is lost with its fence refused, n1 has rebooted, reported nothing and joined again.
    /// </summary>
    private static ClusterState FencedHolderJoinedAgainWhileN2IsUnclean() =>
        ClusterState.Empty.ApplyAll(new uint[] { 1, 2, 3 }.SelectMany(i => PathTo(i, NodeState.Up)))
            .ApplyAll([
                new RecoveryStarted(N(1)), new IpTaken("eth0", Ip, 24, N(1)), new IpReallocated(), new RecoveryCompleted(),
                new NodeDown(N(1), "lost"), new FenceRequested(N(1), N(2), "lost"), new FenceSucceeded(N(1), "pdu"),
                new NodeUnreachable(N(2)), new NodeDown(N(2), "lost"), new FenceRequested(N(2), N(3), "lost"),
                new FenceFailed(N(2), "refused by the fencing rules: this partition has no quorum"),
                new NodeHoldings(N(1), [], []), new NodeJoined(N(1), "node1"),
            ]);

    private static IReadOnlyList<HostCommand> For(ClusterState before, IClusterEvent e, HostFacts host)
    {
        Assert.True(before.TryApply(e, out var after, out var reason), reason);
        return HostEffects.For(before, e, after, host);
    }

    [Fact]
    public void NodeUp_OfAReadmittedHost_WhileAnotherIsUnfenced_PutsBackNothing_AndSaysWhoItWaitsFor()
    {
        var before = FencedHolderJoinedAgainWhileN2IsUnclean();

        var commands = For(before, new NodeUp(N(1)), Host1);

        Assert.DoesNotContain(commands, c => c is HostCommand.TakeAddress);
        var wait = Assert.IsType<HostCommand.AddressesWait>(Assert.Single(commands));
        Assert.Equal([Ip], wait.Addresses);
        Assert.Equal([N(2)], wait.Unclean);
    }

    [Fact]
    public void FenceOfTheLastUncleanNode_PutsTheWaitingAddressesBack()
    {
        var up = FencedHolderJoinedAgainWhileN2IsUnclean().Apply(new NodeUp(N(1)));
        var requested = up.Apply(new FenceRequested(N(2), N(1), "lost"));

        var commands = For(requested, new FenceSucceeded(N(2), "pdu"), Host1);

        Assert.Equal([new HostCommand.TakeAddress(Address, Probe: true)], commands);
    }

    [Fact]
    public void AnotherNodesEvent_WhileItStaysUnclean_PutsNothingBack()
    {
        var up = FencedHolderJoinedAgainWhileN2IsUnclean().Apply(new NodeUp(N(1)));

        Assert.Empty(For(up, new FenceRequested(N(2), N(1), "lost"), Host1));
    }

    [Fact]
    public void Reassert_OnBecomingPrimary_WaitsForANodeLostFromTheView_ThatTheDcHasNotDownedYet()
    {
        var holding = ThreeUp().ApplyAll([new RecoveryStarted(N(1)), new IpTaken("eth0", Ip, 24, N(1)), new IpReallocated(), new RecoveryCompleted()]);

        var lost = HostEffects.Reassert(holding, N(1), [N(1), N(3)]);
        var whole = HostEffects.Reassert(holding, N(1), [N(1), N(2), N(3)]);

        Assert.Equal([N(2)], Assert.IsType<HostCommand.AddressesWait>(Assert.Single(lost)).Unclean);
        Assert.Equal<HostCommand>([new HostCommand.TakeAddress(Address, Probe: true)], whole);
    }

    [Fact]
    public void UncleanNodesSeenFrom_CountsTheUncleanAndTheLostNotDownedYet_NotTheFencedLeftOrInMaintenance()
    {
        var state = ClusterState.Empty.ApplyAll(
            PathTo(1, NodeState.Up).Concat(PathTo(2, NodeState.Down)).Concat(PathTo(3, NodeState.Up)).Concat(PathTo(4, NodeState.Fenced))
                .Concat(PathTo(5, NodeState.Left)).Concat(PathTo(6, NodeState.Maintenance)).Concat(PathTo(7, NodeState.Standby)));

        var unclean = state.UncleanNodesSeenFrom([N(1), N(2)]).ToList();

        Assert.Equal([N(2), N(3), N(7)], unclean); // n2 Down although present; n3 and n7 lost; n4, n5, n6 never downed
        Assert.Equal([N(2)], state.UncleanNodesSeenFrom([N(1), N(2), N(3), N(7)]).ToList());
    }
}
