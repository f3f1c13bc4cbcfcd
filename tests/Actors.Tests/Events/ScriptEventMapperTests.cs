using Haven.Actors.Cluster;
using Haven.Actors.Events;
using Haven.Actors.Membership;

namespace Haven.Actors.Tests.Events;

public sealed class ScriptEventMapperTests
{
    private static readonly NodeId Self = new(1);
    private static readonly NodeId Other = new(2);

    private static readonly IClusterEvent[] TwoNodesUp =
    [
        new NodeJoined(Self, "h1"), new NodeUp(Self), new NodeJoined(Other, "h2"), new NodeUp(Other),
    ];

    /// <summary>Folds and maps like the delivery actor: each event sees the state before it and the events after it.</summary>
    private static List<string> MapAll(params IClusterEvent[] events)
    {
        var fold = new ClusterStreamFold();
        var mapper = ScriptMapperState.Empty;
        var lines = new List<string>();
        for (var i = 0; i < events.Length; i++)
        {
            var (next, mapped) = ScriptEventMapper.Map(mapper, fold.State, events[i], Self, events[(i + 1)..]);
            mapper = next;
            lines.AddRange(mapped.Select(e => string.Join(' ', e.Argv)));
            fold.Apply(events[i]);
        }
        return lines;
    }

    [Fact]
    public void Map_RecoveryRound_GivesThisHostsEventsInCtdbOrder()
    {
        var lines = MapAll([.. TwoNodesUp,
            new RecoveryStarted(Other),
            new IpTaken("eth0", "10.0.0.5", 24, Self),
            new IpTaken("eth1", "10.0.1.5", 16, Other),
            new IpTaken("eth1", "10.0.1.6", 16, Self),
            new IpReallocated(),
            new RecoveryCompleted()]);

        Assert.Equal(["startrecovery", "takeip eth0 10.0.0.5 24", "takeip eth1 10.0.1.6 16", "ipreallocated", "recovered"], lines);
    }

    [Fact]
    public void Map_ReleaseOfAnAddressThisHostHeld_ReleaseIpWithInterfaceAddressAndMask()
    {
        var lines = MapAll([.. TwoNodesUp,
            new RecoveryStarted(Other), new IpTaken("eth0", "10.0.0.5", 24, Self), new IpReallocated(), new RecoveryCompleted(),
            new RecoveryStarted(Other), new IpReleased("eth0", "10.0.0.5", 24, Self), new IpReallocated(), new RecoveryCompleted()]);

        Assert.Equal(["startrecovery", "takeip eth0 10.0.0.5 24", "ipreallocated", "recovered",
            "startrecovery", "releaseip eth0 10.0.0.5 24", "ipreallocated", "recovered"], lines);
    }

    [Fact]
    public void Map_AnotherHostsAddresses_NothingButTheRoundEvents()
    {
        var lines = MapAll([.. TwoNodesUp,
            new RecoveryStarted(Self), new IpTaken("eth0", "10.0.0.7", 24, Other), new IpReleased("eth0", "10.0.0.7", 24, Other), new RecoveryCompleted()]);

        Assert.Equal(["startrecovery", "recovered"], lines);
    }

    [Fact]
    public void Map_ReleaseOfAnAddressTheStateDidNotHold_Nothing()
    {
        var lines = MapAll([.. TwoNodesUp, new IpReleased("eth0", "10.0.0.9", 24, Self)]);

        Assert.Empty(lines);
    }

    [Fact]
    public void Map_ReleaseThenTakeOnAnotherInterface_OneUpdateIpAtTheTake()
    {
        var lines = MapAll([.. TwoNodesUp,
            new IpTaken("eth0", "10.0.0.5", 24, Self),
            new RecoveryStarted(Other),
            new IpReleased("eth0", "10.0.0.5", 24, Self),
            new IpTaken("eth1", "10.0.2.1", 24, Other),
            new IpTaken("eth1", "10.0.0.5", 24, Self),
            new RecoveryCompleted()]);

        Assert.Equal(["takeip eth0 10.0.0.5 24", "startrecovery", "updateip eth0 eth1 10.0.0.5 24", "recovered"], lines);
    }

    [Fact]
    public void Map_ReleaseThenTakeOnTheSameInterface_ReleaseAndTake()
    {
        var lines = MapAll([.. TwoNodesUp,
            new IpTaken("eth0", "10.0.0.5", 24, Self),
            new IpReleased("eth0", "10.0.0.5", 24, Self),
            new IpTaken("eth0", "10.0.0.5", 24, Self)]);

        Assert.Equal(["takeip eth0 10.0.0.5 24", "releaseip eth0 10.0.0.5 24", "takeip eth0 10.0.0.5 24"], lines);
    }

    [Fact]
    public void Map_ReleaseWhoseTakeComesAfterTheRunEnded_ReleaseThenTake()
    {
        var lines = MapAll([.. TwoNodesUp,
            new IpTaken("eth0", "10.0.0.5", 24, Self),
            new IpReleased("eth0", "10.0.0.5", 24, Self),
            new IpReallocated(),
            new IpTaken("eth1", "10.0.0.5", 24, Self)]);

        Assert.Equal(["takeip eth0 10.0.0.5 24", "releaseip eth0 10.0.0.5 24", "ipreallocated", "takeip eth1 10.0.0.5 24"], lines);
    }

    [Fact]
    public void Fold_StreamReset_KeepsOnlyTheCommonPrefix()
    {
        var fold = new ClusterStreamFold();
        foreach (var e in TwoNodesUp) fold.Apply(e);
        fold.Apply(new IpTaken("eth0", "10.0.0.5", 24, Self));

        fold.Apply(new StreamReset(TwoNodesUp.Length));

        Assert.Empty(fold.State.Ips);
        Assert.Equal(NodeState.Up, fold.State.StateOf(Other));
    }
}
