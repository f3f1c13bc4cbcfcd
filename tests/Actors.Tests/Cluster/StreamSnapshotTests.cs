using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Cluster;
using Haven.Actors.Persistence;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;

namespace Haven.Actors.Tests.Cluster;

public sealed class StreamSnapshotTests
{
    private static readonly JsonEventSerializer Serializer = new(HavenManifests.CreateRegistry());

    /// <summary>A state that uses every part of ClusterState: nodes in several states, addresses, a fence request, a VM with fail counts, settings, heuristics, epochs.</summary>
    internal static ClusterState RichState() => ThreeUp().ApplyAll(
    [
        new PrimaryFormed(1, [N(1), N(2), N(3)]),
        // a fourth node fenced by a device, its address released (vacated by a fence), back and reporting what it holds
        new NodeJoined(N(4), "node4"),
        new NodeUp(N(4)),
        new IpTaken("eth0", "10.0.0.14", 24, N(4)),
        new NodeUnreachable(N(4)),
        new NodeDown(N(4), "lost"),
        new FenceRequested(N(4), N(1), "lost"),
        new FenceSucceeded(N(4), "ipmi"),
        new IpReleased("eth0", "10.0.0.14", 24, N(4)),
        new NodeHoldings(N(4), [], []),
        new DcChanged(N(1)),
        new HeuristicsChanged(N(2), true),
        new IpTaken("eth0", "10.0.0.11", 24, N(1)),
        new IpTaken("eth0", "10.0.0.12", 24, N(2)),
        new SettingChanged("haven.heuristics.attempts", "3"),
        new VmAdded(new VmSpec("WEB", "process", "web.conf", Cpu: 2, Memory: 1024)),
        new VmPlaced("WEB", N(2)),
        new VmFailed("WEB", N(2), "crashed", DateTimeOffset.UnixEpoch.AddHours(1)),
        new VmPlaced("WEB", N(3)),
        new VmRunning("WEB", N(3)),
        new VmMultiplyActive("WEB", N(1)), // a second copy was forced off node1: WEB is to be restarted (stop_start)
        // an operator's vm migrate: APP keeps its move preference to node3
        new VmAdded(new VmSpec("APP", "process", "app.conf", AllowMigrate: true)),
        new VmPlaced("APP", N(1)),
        new VmRunning("APP", N(1)),
        new VmMigrating("APP", N(1), N(3), ByOperator: true),
        new VmMigrated("APP", N(1), N(3)),
        // a fifth node shutting down under shutdown-lock: its VM stopped there and locked to it
        new NodeJoined(N(5), "node5"),
        new NodeUp(N(5)),
        new VmAdded(new VmSpec("DB-01", "process", "db.conf") { MultipleActive = VmMultipleActive.StopOnly }),
        new VmPlaced("DB-01", N(5)),
        new VmRunning("DB-01", N(5)),
        new NodeLeaving(N(5)) { ShutdownAt = DateTimeOffset.UnixEpoch.AddHours(2) },
        new VmStopped("DB-01", N(5), "shutting down"),
        new RecoveryStarted(N(1)),
        new NodeStandby(N(3)),
        new NodeUnreachable(N(2)),
        new FenceRequested(N(2), N(1), "lost"),
    ]);

    [Fact]
    public void Image_SerializedAndRead_GivesAnEqualState()
    {
        var state = RichState();
        Assert.NotEmpty(state.PendingFences);
        Assert.NotEmpty(state.Vms);
        Assert.NotEmpty(state.VacatedByFence);
        Assert.NotEmpty(state.Holdings);
        Assert.NotNull(state.Vms["DB-01"].Lock);
        Assert.True(state.Vms["WEB"].RestartPending);
        Assert.Equal(N(3), state.Vms["APP"].MovedTo);
        Assert.NotNull(state.Nodes[N(5)].ShutdownAt);
        var snapshot = new StreamSnapshot(14, new string('a', 64), state.ToImage());
        var (manifest, payload) = Serializer.Serialize(snapshot);

        var read = (StreamSnapshot)Serializer.Deserialize(new JournalEntry("cluster", 1, manifest, payload, default, []));

        var back = ClusterState.FromImage(read.State);
        Assert.Equal(state, back);
        Assert.Equal(state.Settings.KeyComparer, back.Settings.KeyComparer);
        // The same state gives the same bytes (snapshots are compared and shipped).
        Assert.Equal(payload, Serializer.Serialize(read).Payload);
    }

    [Fact]
    public void Image_OfAStateAfterMoreEvents_DiffersAndStillReadsBack()
    {
        var state = RichState();
        var later = state.Apply(new FenceSucceeded(N(2), "pdu", 1.5));
        Assert.NotEqual(state, ClusterState.FromImage(later.ToImage()));
        Assert.Equal(later, ClusterState.FromImage(later.ToImage()));
        Assert.True(later.TryApply(new IpReleased("eth0", "10.0.0.12", 24, N(2)), out _, out var reason), reason);
        Assert.True(ClusterState.FromImage(later.ToImage()).TryApply(new IpReleased("eth0", "10.0.0.12", 24, N(2)), out _, out reason), reason);
    }
}
