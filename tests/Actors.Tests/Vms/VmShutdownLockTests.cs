using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

/// <summary>Pacemaker's shutdown-lock and shutdown-lock-limit in Haven's own state and DC round.</summary>
public sealed class VmShutdownLockTests
{
    private static readonly NodeId[] Two = [N(1), N(2)];
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static VmServices Services(TimeSpan? limit = null) =>
        new(new Dictionary<string, IHypervisor>()) { Policy = new VmPolicy { ShutdownLock = true, ShutdownLockLimit = limit ?? TimeSpan.Zero } };

    private static ClusterState TwoUp() => ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up));

    /// <summary>WEB-01 (live migration allowed) prefers node1 but runs on node2.</summary>
    private static ClusterState RunningOnNode2() => TwoUp().Apply(new VmAdded(Web(migrate: true, preferences: new NodePreference("node1", 100))))
        .Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2)));

    private static ClusterState ShuttingDown() => RunningOnNode2().Apply(new NodeLeaving(N(2)) { ShutdownAt = T0 });

    /// <summary>node2 shut down cleanly: WEB-01 stopped there (locked) and node2 left.</summary>
    private static ClusterState Locked() => ShuttingDown().Apply(new VmStopping("WEB-01", N(2), "shutting down"))
        .Apply(new VmStopped("WEB-01", N(2), "shut down")).Apply(new NodeLeft(N(2)));

    private static ClusterState Back(ClusterState state) => state.Apply(new NodeJoined(N(2), "node2")).Apply(new NodeUp(N(2)));

    private static IClusterEvent[] Decide(ClusterState state, VmServices services, DateTimeOffset? now = null, IReadOnlyCollection<NodeId>? view = null) =>
        [.. VmRecovery.Decide(state, view ?? Two, services, now is { } t ? new VmGroupClock(t, new Dictionary<string, DateTimeOffset>()) : null, out _)];

    [Fact]
    public void NodeLeaving_WithShutdownAt_RoundTripsUnderItsManifest()
    {
        var serializer = new Haven.Actors.Persistence.JsonEventSerializer(HavenManifests.CreateRegistry());
        foreach (var e in new NodeLeaving[] { new(N(2)) { ShutdownAt = T0 }, new(N(2)) })
        {
            var (manifest, payload) = serializer.Serialize(e);
            Assert.Equal(e, serializer.Deserialize(new Haven.Actors.Persistence.JournalEntry("cluster", 1, manifest, payload, T0, [])));
        }
    }

    [Fact]
    public void VmStopped_OnAHostShuttingDownUnderShutdownLock_LocksTheVmToIt()
    {
        Assert.Equal(T0, ShuttingDown().Nodes[N(2)].ShutdownAt);
        Assert.Equal(new VmShutdownLock(N(2), T0), Locked().Vms["WEB-01"].Lock);
        // `haven cluster leave` (no shutdown time): nothing is locked
        var left = RunningOnNode2().Apply(new NodeLeaving(N(2))).Apply(new VmStopped("WEB-01", N(2), "moving"));
        Assert.Null(left.Vms["WEB-01"].Lock);
        // back up: the node's mark is gone, the VM's lock stays until it is placed
        var back = Back(Locked());
        Assert.Null(back.Nodes[N(2)].ShutdownAt);
        Assert.NotNull(back.Vms["WEB-01"].Lock);
        Assert.Null(back.Apply(new VmPlaced("WEB-01", N(2))).Vms["WEB-01"].Lock);
    }

    [Fact]
    public void Decide_HostShuttingDown_ItsVmsStopThere_NotMigrated()
    {
        var events = Decide(ShuttingDown(), Services());

        var stop = Assert.IsType<VmStopping>(Assert.Single(events));
        Assert.Equal(("WEB-01", N(2)), (stop.Name, stop.Node));
        Assert.Contains("shutdown-lock", stop.Reason);
        // the same host leaving by `haven cluster leave`: it migrates to node1
        Assert.Equal<IClusterEvent>([new VmMigrating("WEB-01", N(2), N(1))], Decide(RunningOnNode2().Apply(new NodeLeaving(N(2))), Services()));
    }

    [Fact]
    public void Decide_LockedToANodeItsFailCountBans_PlacedAsUsual()
    {
        var locked = Locked();
        // The same, after WEB-01 failed once on node2 and was restarted there.
        var banned = TwoUp().Apply(new VmAdded(Web(migrate: true, preferences: new NodePreference("node1", 100))))
            .Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2))).Apply(new VmFailed("WEB-01", N(2), "crashed", T0))
            .Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2))).Apply(new NodeLeaving(N(2)) { ShutdownAt = T0 })
            .Apply(new VmStopping("WEB-01", N(2), "shutting down")).Apply(new VmStopped("WEB-01", N(2), "shut down")).Apply(new NodeLeft(N(2)));
        Assert.Equal(1, banned.Vms["WEB-01"].FailuresOn(N(2)).Count);
        Assert.NotNull(banned.Vms["WEB-01"].Lock);
        var services = new VmServices(new Dictionary<string, IHypervisor>()) { Policy = new VmPolicy { ShutdownLock = true, MigrationThreshold = 1 } };

        // Without the rule the VM could run nowhere for ever: locked to node2, banned there (seed 1158067452).
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(banned, services, T0.AddHours(5), view: [N(1)]));
        Assert.Empty(Decide(locked, services, T0.AddHours(5), view: [N(1)]));
    }

    [Fact]
    public void Decide_LockedVm_ItsHostAway_IsStartedNowhere() =>
        Assert.Empty(Decide(Locked(), Services(), T0.AddHours(5), view: [N(1)]));

    [Fact]
    public void Decide_LockedVm_ItsHostBack_StartsThereThoughItPrefersAnother()
    {
        var back = Back(Locked());
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(2))], Decide(back, Services(), T0.AddHours(5)));
        // without the lock it would go to node1
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(back.Apply(new VmCleanedUp("WEB-01")), Services()));
    }

    [Fact]
    public void Decide_ShutdownLockLimitPassed_PlacedAsUsual_AndTheRoundWakesWhenItPasses()
    {
        var services = Services(limit: TimeSpan.FromMinutes(30));

        Assert.Empty(Decide(Locked(), services, T0.AddMinutes(29), view: [N(1)]));
        VmRecovery.Decide(Locked(), [N(1)], services, new VmGroupClock(T0.AddMinutes(29), new Dictionary<string, DateTimeOffset>()), out var wakeAt);
        Assert.Equal(T0.AddMinutes(30), wakeAt);
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(Locked(), services, T0.AddMinutes(30), view: [N(1)]));
    }

    [Fact]
    public void Cleanup_ReleasesTheLock_AndTheVmIsPlacedElsewhere()
    {
        var cleaned = Locked().Apply(new VmCleanedUp("WEB-01"));

        Assert.Null(cleaned.Vms["WEB-01"].Lock);
        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(1))], Decide(cleaned, Services(), T0, view: [N(1)]));
        Assert.Contains("no failures to clean up", Rejected(cleaned, new VmCleanedUp("WEB-01")));
        Assert.Null(Locked().Apply(new VmCleanedUp("WEB-01", N(2))).Vms["WEB-01"].Lock); // the locked node's cleanup releases it too
    }

    [Fact]
    public void Explain_LockedVm_SaysWhereAndUntilWhen()
    {
        var lines = VmRecovery.Explain(Locked(), [N(1)], Services(limit: TimeSpan.FromHours(1)), "WEB-01", T0.AddMinutes(10));
        Assert.Contains(lines, l => l.Contains("locked to node2 by shutdown-lock since 2026-01-01 00:00:00Z until 2026-01-01 01:00:00Z"));
        var forever = VmRecovery.Explain(Locked(), [N(1)], Services(), "WEB-01", T0.AddDays(3));
        Assert.Contains(forever, l => l.Contains("locked to node2 by shutdown-lock") && l.Contains("until it is back"));
    }
}
