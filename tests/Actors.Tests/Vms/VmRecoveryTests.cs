using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

public sealed class VmRecoveryTests
{
    private static readonly NodeId[] All = [N(1), N(2), N(3)];
    private static readonly VmServices Services = new(new Dictionary<string, IHypervisor>());

    private static ImmutableArray<IClusterEvent> Decide(ClusterState state, VmServices? services = null, NodeId[]? view = null) =>
        VmRecovery.Decide(state, view ?? All, services ?? Services);

    private static ClusterState Running(ClusterState state, string vm, uint node) =>
        state.Apply(new VmPlaced(vm, N(node))).Apply(new VmRunning(vm, N(node)));

    [Fact]
    public void Decide_HaVmRunningNowhere_IsPlacedOnItsPreferredNode()
    {
        var state = ThreeUp().Apply(new VmAdded(Web(preferences: new NodePreference("node3", 50))));

        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(3))], Decide(state));
    }

    [Fact]
    public void Decide_VmWithoutHa_IsLeftAlone()
    {
        var state = ThreeUp().Apply(new VmAdded(Web(ha: false)));

        Assert.Empty(Decide(state));
    }

    [Fact]
    public void Decide_LeavingHost_HaVmMoves_NonHaVmStops()
    {
        var state = Running(Running(ThreeUp().Apply(new VmAdded(Web(migrate: true))).Apply(new VmAdded(Web("TOOLS-1", ha: false))),
            "WEB-01", 2), "TOOLS-1", 2).Apply(new NodeLeaving(N(2)));

        var events = Decide(state);

        var migrating = Assert.Single(events.OfType<VmMigrating>());
        Assert.Equal(("WEB-01", N(2)), (migrating.Name, migrating.From));
        var stopping = Assert.Single(events.OfType<VmStopping>());
        Assert.Equal(("TOOLS-1", N(2), "its host node2 is leaving the cluster"), (stopping.Name, stopping.Node, stopping.Reason));
    }

    [Fact]
    public void Decide_LeavingHost_VmNoOtherHostCanTake_StopsThere()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web(preferences: [new NodePreference("node1", PlacementScores.Banned), new NodePreference("node3", PlacementScores.Banned)]))),
            "WEB-01", 2).Apply(new NodeLeaving(N(2)));

        var stopping = Assert.IsType<VmStopping>(Assert.Single(Decide(state)));

        Assert.Equal("its host node2 is leaving the cluster and no other host can take it", stopping.Reason);
    }

    [Fact]
    public void Decide_StandbyHost_VmNoOtherHostCanTake_KeepsRunning()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web(preferences: [new NodePreference("node1", PlacementScores.Banned), new NodePreference("node3", PlacementScores.Banned)]))),
            "WEB-01", 2).Apply(new NodeStandby(N(2)));

        Assert.Empty(Decide(state)); // unlike a leave, standby keeps serving what nobody else can take
    }

    [Fact]
    public void Decide_HostDownNotFenced_NothingReleasedAndNothingStarted()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web())), "WEB-01", 2)
            .Apply(new VmAdded(Web("DB-01")))
            .Apply(new NodeDown(N(2), "lost"));

        Assert.Empty(Decide(state, view: [N(1), N(3)]));
    }

    [Fact]
    public void Decide_HostFenced_ReleasesItsVmAndStartsItElsewhere()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web(preferences: new NodePreference("node2", 100)))), "WEB-01", 2)
            .Apply(new NodeDown(N(2), "lost")).Apply(new NodeFenced(N(2), "pdu"));

        var events = Decide(state, view: [N(1), N(3)]);

        Assert.IsType<VmStopped>(events[0]);
        Assert.Equal(N(2), ((VmStopped)events[0]).Node);
        var placed = Assert.IsType<VmPlaced>(events[1]);
        Assert.NotEqual(N(2), placed.Node);
    }

    [Fact]
    public void Decide_StandbyHost_MigratesWhatAllowsIt_AndStopsTheRest()
    {
        var state = ThreeUp().Apply(new VmAdded(Web("MIG-01", migrate: true))).Apply(new VmAdded(Web("FIX-01")));
        state = Running(Running(state, "MIG-01", 2), "FIX-01", 2).Apply(new NodeStandby(N(2)));

        var events = Decide(state);

        Assert.Contains(events, e => e is VmMigrating { Name: "MIG-01", From.Value: 2 } m && m.To != N(2));
        Assert.Contains(new VmStopping("FIX-01", N(2), "moving to node1 (standby host)"), events);
    }

    [Fact]
    public void Decide_HostInMaintenance_KeepsItsVms()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web(migrate: true))), "WEB-01", 2).Apply(new NodeMaintenance(N(2)));

        Assert.Empty(Decide(state));
    }

    [Fact]
    public void Decide_DesiredStopped_StopsItWhereItRuns()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web())), "WEB-01", 1).Apply(new VmDesired("WEB-01", VmDesiredState.Stopped));

        Assert.Equal<IClusterEvent>([new VmStopping("WEB-01", N(1), "desired stopped")], Decide(state));
    }

    [Fact]
    public void Decide_BatchLimit_CountsActionsInFlight()
    {
        var state = ThreeUp();
        foreach (var i in Enumerable.Range(1, 5)) state = state.Apply(new VmAdded(Web($"VM-{i:00}")));
        var limited = Services with { Placement = new PlacementOptions(BatchLimit: 2) };

        var first = Decide(state, limited);
        var next = Decide(state.ApplyAll(first), limited);

        Assert.Equal(2, first.Length);
        Assert.Empty(next); // both starts are still in flight
    }

    [Fact]
    public void Decide_MigrationLimit_OneLiveMigrationAtATime()
    {
        var state = ThreeUp();
        foreach (var i in Enumerable.Range(1, 3)) state = Running(state.Apply(new VmAdded(Web($"VM-{i:00}", migrate: true))), $"VM-{i:00}", 2);
        state = state.Apply(new NodeStandby(N(2)));
        var limited = Services with { Placement = new PlacementOptions(MigrationLimit: 1) };

        var events = Decide(state, limited);

        Assert.Single(events.OfType<VmMigrating>());
        Assert.Empty(Decide(state.ApplyAll(events), limited).OfType<VmMigrating>());
    }

    [Fact]
    public void Decide_FailedVm_IsNotPlacedOnTheHostThatGaveUp()
    {
        var state = ClusterState.Empty.ApplyAll(PathTo(1, NodeState.Up)).ApplyAll(PathTo(2, NodeState.Up))
            .Apply(new VmAdded(Web(preferences: new NodePreference("node1", 100))))
            .Apply(new VmPlaced("WEB-01", N(1))).Apply(new VmFailed("WEB-01", N(1), "gave up"));

        Assert.Equal<IClusterEvent>([new VmPlaced("WEB-01", N(2))], Decide(state, view: [N(1), N(2)]));
        var both = state.Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmFailed("WEB-01", N(2), "gave up"));
        Assert.Empty(Decide(both, view: [N(1), N(2)]));
    }

    [Fact]
    public void Decide_MigrationSourceFenced_TheTargetOwnsIt()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web(migrate: true))), "WEB-01", 2)
            .Apply(new VmMigrating("WEB-01", N(2), N(3))).Apply(new NodeDown(N(2), "lost")).Apply(new NodeFenced(N(2), "pdu"));
        var attempt = state.Vms["WEB-01"].Attempt;

        Assert.NotEqual(0, attempt);
        Assert.Equal<IClusterEvent>([new VmMigrated("WEB-01", N(2), N(3), attempt)], Decide(state, view: [N(1), N(3)]));
    }

    [Fact]
    public void Decide_MigrationTargetFenced_FailsBackToTheSource()
    {
        var state = Running(ThreeUp().Apply(new VmAdded(Web(migrate: true))), "WEB-01", 2)
            .Apply(new VmMigrating("WEB-01", N(2), N(3))).Apply(new NodeDown(N(3), "lost")).Apply(new NodeFenced(N(3), "pdu"));

        var failed = Assert.IsType<VmMigrationFailed>(Assert.Single(Decide(state, view: [N(1), N(2)])));
        Assert.Equal(N(2), failed.From);
    }

    [Fact]
    public void Decide_CapacityFull_LeavesTheRestUnplaced()
    {
        var state = ThreeUp().Apply(new VmAdded(Web("BIG-01"))).Apply(new VmAdded(Web("BIG-02")));
        var small = Services with
        {
            Capacities = ImmutableDictionary<string, Capacity>.Empty
                .Add("node1", new Capacity(2, 4096)).Add("node2", new Capacity(0, 0)).Add("node3", new Capacity(0, 0)),
        };

        Assert.Single(Decide(state, small).OfType<VmPlaced>());
    }

    [Fact]
    public void Decide_ConfiguredVm_IsAddedThenPlaced()
    {
        var configured = Services with { Configured = [new VmAdded(Web())] };

        var events = Decide(ThreeUp(), configured);

        Assert.IsType<VmAdded>(events[0]);
        Assert.IsType<VmPlaced>(events[1]);
        Assert.Empty(Decide(ThreeUp().ApplyAll(events), configured));
    }

    [Fact]
    public void Explain_NamesTheCandidatesAndTheChoice()
    {
        var state = ThreeUp().Apply(new VmAdded(Web(preferences: new NodePreference("node2", 100))));

        var lines = VmRecovery.Explain(state, All, Services, "WEB-01");

        Assert.Contains(lines, l => l.Contains("node2: score 100, eligible", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("chose node2", StringComparison.Ordinal));
    }

    [Fact]
    public void Decide_HigherPriorityVmNeedsTheRoom_LowerOneStopsFirst_ThenTheHigherOneStarts()
    {
        var services = Services with
        {
            Capacities = ImmutableDictionary<string, Capacity>.Empty.Add("node1", new Capacity(2, 4096)).Add("node2", new Capacity(1, 4096))
                .Add("node3", new Capacity(1, 4096)),
        };
        var low = new VmSpec("LOW-01", "process", "low", 2, 512, [new NodePreference("node1", 10)]);
        var high = new VmSpec("HIGH-01", "process", "high", 2, 512, [new NodePreference("node1", 10)], Priority: 10);
        var state = Running(ThreeUp().Apply(new VmAdded(low)), "LOW-01", 1).Apply(new VmAdded(high));

        var first = Decide(state, services);

        Assert.Equal<IClusterEvent>([new VmStopping("LOW-01", N(1), "it fits on no node")], first); // preempted: no room anywhere else
        var stopped = state.Apply(first[0]).Apply(new VmStopped("LOW-01", N(1), "shut down"));
        Assert.Equal<IClusterEvent>([new VmPlaced("HIGH-01", N(1))], Decide(stopped, services));
    }
}
