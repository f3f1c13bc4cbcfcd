using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;
using static Haven.Actors.Tests.Cluster.ClusterTestEvents;
using static Haven.Actors.Tests.Vms.VmStateTests;

namespace Haven.Actors.Tests.Vms;

/// <summary>
/// An operator's `haven vm migrate` leaves a move preference (Pacemaker's cli-prefer of crm_resource --move), so the DC
/// does not move the VM back to the node it prefers; `haven vm clear` drops it.
/// </summary>
public sealed class VmMovePreferenceTests
{
    private static readonly NodeId[] All = [N(1), N(2), N(3)];
    private static readonly VmServices Services = new(new Dictionary<string, IHypervisor>());

    /// <summary>WEB-01 prefers node2 (score 100) and runs there.</summary>
    private static ClusterState OnItsPreferredNode() =>
        ThreeUp().Apply(new VmAdded(Web(migrate: true, preferences: new NodePreference("node2", 100))))
            .Apply(new VmPlaced("WEB-01", N(2))).Apply(new VmRunning("WEB-01", N(2)));

    private static ClusterState Moved(ClusterState state, bool byOperator) =>
        state.Apply(new VmMigrating("WEB-01", N(2), N(3), byOperator)).Apply(new VmMigrated("WEB-01", N(2), N(3)));

    [Fact]
    public void OperatorMigrate_RecordsTheTarget_ADcMigrationDoesNot()
    {
        Assert.Equal(N(3), Moved(OnItsPreferredNode(), byOperator: true).Vms["WEB-01"].MovedTo);
        Assert.Null(Moved(OnItsPreferredNode(), byOperator: false).Vms["WEB-01"].MovedTo);
    }

    [Fact]
    public void OperatorMigrate_VmStaysOnTheTarget_ADcMigrationIsUndone()
    {
        Assert.Empty(VmRecovery.Decide(Moved(OnItsPreferredNode(), byOperator: true), All, Services));

        var back = Assert.Single(VmRecovery.Decide(Moved(OnItsPreferredNode(), byOperator: false), All, Services).OfType<VmMigrating>());
        Assert.Equal((N(3), N(2), false), (back.From, back.To, back.ByOperator));
    }

    [Fact]
    public void Clear_DropsThePreference_ThenPlacementMovesItBack()
    {
        var cleared = Moved(OnItsPreferredNode(), byOperator: true).Apply(new VmMoveCleared("WEB-01"));

        Assert.Null(cleared.Vms["WEB-01"].MovedTo);
        var back = Assert.Single(VmRecovery.Decide(cleared, All, Services).OfType<VmMigrating>());
        Assert.Equal(N(2), back.To);
    }

    [Fact]
    public void Clear_WithoutAPreference_IsRefusedSayingWhy()
    {
        Assert.Contains("has no move preference to clear", Rejected(OnItsPreferredNode(), new VmMoveCleared("WEB-01")));
    }

    [Fact]
    public void FailedOperatorMigration_LeavesItWhereItWas_AndDropsThePreference()
    {
        var failed = OnItsPreferredNode().Apply(new VmMigrating("WEB-01", N(2), N(3), ByOperator: true))
            .Apply(new VmMigrationFailed("WEB-01", N(2), N(3), "target refused"));

        Assert.Equal((VmRunState.Running, N(2), (NodeId?)null), (failed.Vms["WEB-01"].State, failed.Vms["WEB-01"].Node, failed.Vms["WEB-01"].MovedTo));
        Assert.Empty(VmRecovery.Decide(failed, All, Services)); // no retry loop towards the node that refused it
    }

    [Fact]
    public void TargetLost_VmRunsElsewhere_NotBannedThere()
    {
        var moved = Moved(OnItsPreferredNode(), byOperator: true);

        var input = VmRecovery.Input(moved, [N(1), N(2)], Services);

        var web = Assert.Single(input.Vms);
        Assert.Contains(web.Preferences, p => p is { Node: "node3", Score: PlacementScores.Infinity });
        Assert.DoesNotContain(web.Preferences, p => p.Score == PlacementScores.Banned);
    }

    [Fact]
    public void Explain_NamesThePreferenceAndTheWayToClearIt()
    {
        var lines = VmRecovery.Explain(Moved(OnItsPreferredNode(), byOperator: true), All, Services, "WEB-01");

        Assert.Contains(lines, l => l.Contains("moved to node3 by `haven vm migrate`", StringComparison.Ordinal)
                                    && l.Contains("`haven vm clear WEB-01`", StringComparison.Ordinal));
    }
}
