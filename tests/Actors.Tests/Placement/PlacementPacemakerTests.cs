using Haven.Actors.Placement;

namespace Haven.Actors.Tests.Placement;

/// <summary>The engine's Pacemaker rules (Pacemaker Explained 2.1), each on its own, with no CIB.</summary>
public sealed class PlacementPacemakerTests
{
    private static PlacementNode Node(string name, NodeHealth health = NodeHealth.Online, long cpu = 8, long memory = 8192, bool unclean = false) =>
        new(name, health, new Capacity(cpu, memory), unclean);

    private static PlacementVm Vm(string name, string? on = null, long cpu = 1, long memory = 0, int priority = 0, int order = 0,
        bool managed = true, bool failed = false, bool wanted = true, string[]? also = null, bool migrate = false, params NodePreference[] prefs) =>
        new(name, new Capacity(cpu, memory), on, on is not null, priority, migrate, [.. prefs], wanted,
            Managed: managed, Failed: failed, AlsoRunningOn: also is null ? default : [.. also], Order: order);

    private static PlacementPlan Plan(PlacementNode[] nodes, PlacementVm[] vms, PlacementStrategy strategy = PlacementStrategy.Default, int stickiness = 0) =>
        PlacementEngine.Plan(new PlacementInput([.. nodes], [.. vms], new PlacementOptions(strategy, stickiness)));

    private static string? To(PlacementPlan plan, string vm) => plan.Outcome(vm).Node;

    [Fact]
    public void Plan_NegativeScore_BansTheNode()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("v", "a", prefs: new NodePreference("a", -1))]);

        Assert.Equal(("v", PlacementActionKind.Move, "a", "b"), (plan.Actions.Single().Vm, plan.Actions.Single().Action, plan.Actions.Single().From, plan.Actions.Single().To));
    }

    [Fact]
    public void Plan_NegativeScoreOutweighedByStickiness_Stays()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("v", "a", prefs: new NodePreference("a", -1))], stickiness: 5);

        Assert.Empty(plan.Actions);
        Assert.Equal("a", To(plan, "v"));
    }

    [Fact]
    public void Plan_EveryNodeNegative_IsNotPlaced()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("v", prefs: [new NodePreference("a", -1), new NodePreference("b", -3)])]);

        Assert.Equal<string>(["v"], plan.Unplaced);
        Assert.Empty(plan.Actions);
        Assert.Contains(plan.Explain("v"), l => l.Contains("b: score -3, banned", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_TwoLocationsOnOneNode_AddUp()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("v", prefs: [new NodePreference("a", 10), new NodePreference("a", -20), new NodePreference("b", 5)])]);

        Assert.Equal("b", To(plan, "v"));
    }

    [Fact]
    public void Plan_EqualScores_FewestResourcesThenCurrentNodeThenName()
    {
        // x1 on a and x2 on c stay (stickiness 1); v goes to b, the node with fewest resources; then w, running on c with no
        // stickiness of its own, ties a, b and c on score and count: its own node wins over name order
        var w = Vm("w", "c", order: 3) with { Stickiness = 0 };
        var plan = Plan([Node("a"), Node("b"), Node("c")], [Vm("x1", "a", order: 0), Vm("x2", "c", order: 1), Vm("v", order: 2), w], stickiness: 1);

        Assert.Equal(("a", "c", "b", "c"), (To(plan, "x1"), To(plan, "x2"), To(plan, "v"), To(plan, "w")));
        Assert.Empty(plan.Actions.Where(a => a.Vm != "v"));
    }

    [Fact]
    public void Plan_NoStickiness_RunningVmMovesToTheNodeWithFewerResources()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("x1", "a", order: 0), Vm("x2", "a", order: 1)]);

        Assert.Equal(("x2", PlacementActionKind.Move, "a", "b"), (plan.Actions.Single().Vm, plan.Actions.Single().Action, plan.Actions.Single().From, plan.Actions.Single().To));
    }

    [Fact]
    public void Plan_DefaultStrategy_AssignsInPriorityThenDefinitionOrder()
    {
        var plan = Plan([Node("a")], [Vm("zz", order: 0), Vm("aa", order: 1), Vm("mm", order: 2, priority: 3)]);

        Assert.Equal<string>(["mm", "zz", "aa"], plan.Order);
    }

    [Fact]
    public void Plan_Balanced_VotesOnAbsoluteFreeCapacityPerDimension()
    {
        // a and b: one dimension each, a tie (then name); c: as much cpu as a and more memory than either
        var tie = Plan([Node("a", cpu: 8, memory: 100), Node("b", cpu: 4, memory: 400)], [Vm("v", cpu: 1)], PlacementStrategy.Balanced);
        var more = Plan([Node("a", cpu: 8, memory: 100), Node("b", cpu: 4, memory: 400), Node("c", cpu: 8, memory: 500)], [Vm("v", cpu: 1)], PlacementStrategy.Balanced);

        Assert.Equal("a", To(tie, "v"));
        Assert.Equal("c", To(more, "v"));
    }

    [Fact]
    public void Plan_HigherPriorityVm_TakesTheRoomOfALowerPriorityRunningOne()
    {
        var plan = Plan([Node("a", cpu: 4)], [Vm("low", "a", cpu: 3), Vm("high", cpu: 3, priority: 10)], PlacementStrategy.Utilization, stickiness: 100);

        Assert.Equal("a", To(plan, "high"));
        Assert.Equal<string>(["low"], plan.Unplaced);
        Assert.Contains(plan.Actions, a => a is { Vm: "low", Action: PlacementActionKind.Stop, From: "a" });
    }

    [Fact]
    public void Plan_StandbyNode_ItsVmsMoveAndItIsNotFenced()
    {
        var plan = Plan([Node("a"), Node("b", NodeHealth.Standby)], [Vm("v", "b"), Vm("w")]);

        Assert.Empty(plan.Fence);
        Assert.Equal(("a", "a"), (To(plan, "v"), To(plan, "w")));
        Assert.Contains(plan.Explain("v"), l => l.Contains("standby", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_MaintenanceNode_KeepsItsVmsAndTakesNothingNew()
    {
        var plan = Plan([Node("a", cpu: 1), Node("m", NodeHealth.Maintenance)], [Vm("kept", "m", wanted: false), Vm("new1"), Vm("new2")]);

        Assert.Equal("m", To(plan, "kept"));
        Assert.True(plan.Outcome("kept").Unmanaged);
        Assert.DoesNotContain(plan.Actions, a => a.Vm == "kept" || a.To == "m");
        Assert.Single(plan.Unplaced); // a has room for one
    }

    [Fact]
    public void Plan_UnmanagedVm_NeverTouchedCountedAndReported()
    {
        var plan = Plan([Node("a", cpu: 2), Node("b", cpu: 2)],
            [Vm("frozen", "a", cpu: 2, managed: false, prefs: new NodePreference("a", PlacementScores.Banned)), Vm("other", cpu: 2, prefs: new NodePreference("a", 100))]);

        Assert.DoesNotContain(plan.Actions, a => a.Vm == "frozen");
        Assert.Equal(("a", "b"), (To(plan, "frozen"), To(plan, "other"))); // its room on a is taken
        Assert.Equal<string>(["frozen is unmanaged and running on a although it is banned from a: left as it is"], plan.Reports);
    }

    [Fact]
    public void Plan_UnmanagedVmOnLostNode_DoesNotFenceIt()
    {
        var plan = Plan([Node("a"), Node("gone", NodeHealth.Lost)], [Vm("v", "gone", managed: false)]);

        Assert.Empty(plan.Fence);
        Assert.Empty(plan.Actions);
    }

    [Fact]
    public void Plan_FailedVm_RecoveredInPlace_OrElsewhereWhenItsNodeIsBanned()
    {
        var plan = Plan([Node("a"), Node("b")],
            [Vm("soft", "a", failed: true, order: 0), Vm("hard", "a", failed: true, order: 1, prefs: new NodePreference("a", PlacementScores.Banned))], stickiness: 10);

        Assert.Contains(new PlacementAction("soft", PlacementActionKind.Recover, "a", "a"), plan.Actions);
        Assert.Contains(new PlacementAction("hard", PlacementActionKind.Recover, "a", "b"), plan.Actions);
    }

    [Fact]
    public void Plan_MultiplyActive_StopsTheExtraCopiesAndRestartsTheKeptOne()
    {
        var plan = Plan([Node("a"), Node("b"), Node("c")], [Vm("v", "a", also: ["b", "c"], prefs: new NodePreference("a", 50))]);

        Assert.Equal<PlacementAction>(
            [new("v", PlacementActionKind.Stop, "b", null), new("v", PlacementActionKind.Stop, "c", null), new("v", PlacementActionKind.Restart, "a", "a")],
            plan.Actions);
    }

    [Fact]
    public void Plan_MultiplyActiveNotWanted_StopsEveryCopy()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("v", "a", also: ["b"], wanted: false)]);

        Assert.Equal<PlacementAction>([new("v", PlacementActionKind.Stop, "a", null), new("v", PlacementActionKind.Stop, "b", null)], plan.Actions);
    }

    [Fact]
    public void Plan_UncleanLostNode_IsFencedEvenWhenItRanNothing()
    {
        var plan = Plan([Node("a"), Node("u", NodeHealth.Lost, unclean: true), Node("clean", NodeHealth.Lost)], [Vm("v", "a")]);

        Assert.Equal<string>(["u"], plan.Fence);
    }
}
