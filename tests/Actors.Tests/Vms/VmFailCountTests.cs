using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

/// <summary>Pacemaker's fail-count per node, migration-threshold, failure-timeout, cleanup and is-managed in Haven's own state and DC round.</summary>
public sealed class VmFailCountTests
{
    private static readonly NodeId[] Two = [N(1), N(2)];
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static VmServices Services(int threshold = 1, TimeSpan? timeout = null) =>
        new(new Dictionary<string, IHypervisor>()) { Policy = new VmPolicy { MigrationThreshold = threshold, FailureTimeout = timeout ?? TimeSpan.Zero } };

    private static ClusterState TwoUp() => ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up));

    /// <summary>WEB-01 prefers node1 and has failed there once, at T0.</summary>
    private static ClusterState FailedOnce() => TwoUp().Apply(new VmAdded(Web(preferences: new NodePreference("node1", 100))))
        .Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmFailed("WEB-01", N(1), "gave up", T0));

    private static IClusterEvent[] Decide(ClusterState state, VmServices services, DateTimeOffset? now = null) =>
        [.. VmRecovery.Decide(state, Two, services, now is { } t ? new VmGroupClock(t, new Dictionary<string, DateTimeOffset>()) : null, out _)];

    [Fact]
    public void NewEvents_RoundTripUnderTheirManifests()
    {
        var serializer = new Haven.Actors.Persistence.JsonEventSerializer(HavenManifests.CreateRegistry());
        foreach (IClusterEvent e in new IClusterEvent[] { new VmFailed("WEB-01", N(1), "gave up", T0), new VmFailed("WEB-01", N(1), "old journal"),
                     new VmCleanedUp("WEB-01", N(2)), new VmCleanedUp("WEB-01"), new VmManaged("WEB-01", false) })
        {
            var (manifest, payload) = serializer.Serialize(e);
            Assert.Equal(e, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, T0, [])));
        }
        Assert.Equal("cluster.vm-cleaned-up.v1", serializer.Serialize(new VmCleanedUp("WEB-01")).Manifest);
    }

    [Fact]
    public void VmFailed_CountsPerNodeWithTheLastTime()
    {
        var twice = FailedOnce().Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmFailed("WEB-01", N(1), "again", T0.AddMinutes(5)));

        Assert.Equal(new VmFailures(2, T0.AddMinutes(5)), twice.Vms["WEB-01"].FailuresOn(N(1)));
        Assert.Equal(new VmFailures(0, null), twice.Vms["WEB-01"].FailuresOn(N(2)));
    }

    [Fact]
    public void Decide_BelowMigrationThreshold_PlacesItBackOnTheSameNode()
    {
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(FailedOnce(), Services(threshold: 2)));
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(2))], Decide(FailedOnce(), Services(threshold: 1)));
    }

    [Fact]
    public void Decide_ThresholdZero_NeverBansForFailures() =>
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(FailedOnce(), Services(threshold: 0)));

    [Fact]
    public void Decide_FailureTimeoutPassed_TheNodeMayRunItAgain_AndTheRoundWakesWhenItPasses()
    {
        var services = Services(timeout: TimeSpan.FromMinutes(10));
        var running = FailedOnce().Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2)));

        Assert.Empty(Decide(running, services, T0.AddMinutes(9)));
        VmRecovery.Decide(running, Two, services, new VmGroupClock(T0.AddMinutes(9), new Dictionary<string, DateTimeOffset>()), out var wakeAt);
        Assert.Equal(T0.AddMinutes(10), wakeAt);
        // stickiness 0: back to the preferred node once the ban lifts
        Assert.Equal<IClusterEvent>([new VmStopping("WEB-01", N(2), "moving to node1 (up host)")], Decide(running, services, T0.AddMinutes(10)));
    }

    [Fact]
    public void Cleanup_OneNodeOrAll_ForgetsTheCountsAndAFailedVmIsStoppedAgain()
    {
        var both = FailedOnce().Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmFailed("WEB-01", N(2), "gave up", T0));

        var one = both.Apply(new VmCleanedUp("WEB-01", N(1)));
        var all = both.Apply(new VmCleanedUp("WEB-01"));

        Assert.Equal((0, 1), (one.Vms["WEB-01"].FailuresOn(N(1)).Count, one.Vms["WEB-01"].FailuresOn(N(2)).Count));
        Assert.Equal(VmRunState.Stopped, one.Vms["WEB-01"].State);
        Assert.Empty(all.Vms["WEB-01"].Failures);
        Assert.Empty(all.Vms["WEB-01"].FailedOn);
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(one, Services()));
    }

    [Fact]
    public void Cleanup_NothingToCleanOrUnknownNode_IsRejected()
    {
        Assert.Contains("has no failures to clean up on node2", Rejected(FailedOnce(), new VmCleanedUp("WEB-01", N(2))));
        Assert.Contains("node 9 is not known", Rejected(FailedOnce(), new VmCleanedUp("WEB-01", N(9))));
        Assert.Contains("is not managed", Rejected(FailedOnce(), new VmCleanedUp("NOPE-1")));
    }

    [Fact]
    public void Start_ForgetsTheCountsToo() =>
        Assert.Empty(FailedOnce().Apply(new VmDesired("WEB-01", VmDesiredState.Started)).Vms["WEB-01"].Failures);

    [Fact]
    public void Unmanaged_NeitherStartedStoppedNorMoved_UntilManagedAgain()
    {
        var running = TwoUp().Apply(new VmAdded(Web())).Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmRunning("WEB-01", N(1)))
            .Apply(new VmManaged("WEB-01", false));
        var notRunning = TwoUp().Apply(new VmAdded(Web("DB-01"))).Apply(new VmManaged("DB-01", false));

        Assert.True(running.Vms["WEB-01"].Unmanaged);
        Assert.Empty(Decide(running.Apply(new VmDesired("WEB-01", VmDesiredState.Stopped)), Services()));
        Assert.Empty(Decide(running.Apply(new NodeStandby(N(1))), Services()));
        Assert.Empty(Decide(notRunning, Services()));
        Assert.Contains("already unmanaged", Rejected(running, new VmManaged("WEB-01", false)));
        Assert.Equal<IClusterEvent>([new VmStopping("WEB-01", N(1), "desired stopped")],
            Decide(running.Apply(new VmDesired("WEB-01", VmDesiredState.Stopped)).Apply(new VmManaged("WEB-01", true)), Services()));
    }
}

public sealed class VmMaintenanceRoomTests
{
    [Fact]
    public void Decide_VmOnAMaintenanceHost_StaysCountedThere_SoItTakesNoRoomElsewhere()
    {
        var services = new VmServices(new Dictionary<string, IHypervisor>())
        {
            Capacities = System.Collections.Immutable.ImmutableDictionary<string, Capacity>.Empty.Add("node2", new Capacity(4, 100_000)),
        };
        // A (priority 5) runs on node1, which goes into maintenance; B needs node2's whole room
        var state = ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up))
            .Apply(new VmAdded(Web("A-01") with { Cpu = 4, Priority = 5 })).Apply(new VmPlaced("A-01", N(1))).Apply(new VmRunning("A-01", N(1)))
            .Apply(new NodeMaintenance(N(1)))
            .Apply(new VmAdded(Web("B-01") with { Cpu = 4 }));

        Assert.Equal<IClusterEvent>([new VmPlaced("B-01", N(2))], VmRecovery.Decide(state, [N(1), N(2)], services));
    }
}
