using Haven.Actors.Placement;

namespace Haven.Actors.Tests.Placement;

public sealed class PlacementColocationTests
{
    private static PlacementNode Node(string name, bool online = true, long cpu = 8) =>
        new(name, online ? NodeHealth.Online : NodeHealth.Lost, new Capacity(cpu, 8192));

    private static PlacementVm Vm(string name, string? on = null, int priority = 0, VmConstraint[]? with = null,
        VmConstraint[]? apart = null, params NodePreference[] prefs) =>
        new(name, new Capacity(1, 1024), on, on is not null, priority, false, [.. prefs], With: [.. with ?? []], Apart: [.. apart ?? []]);

    private static PlacementPlan Plan(IEnumerable<PlacementNode> nodes, IEnumerable<PlacementVm> vms) =>
        PlacementEngine.Plan(new PlacementInput([.. nodes], [.. vms], PlacementOptions.Default));

    private static string? To(PlacementPlan plan, string vm) => plan.Actions.SingleOrDefault(a => a.Vm == vm)?.To;

    [Fact]
    public void Plan_HardApartCapacityShort_NeverSharesANodeAndReportsTheOtherUnplaced()
    {
        // one node with room for both; they must never share it
        var plan = Plan([Node("a"), Node("b", online: false)],
            [Vm("db1", priority: 10), Vm("db2", apart: [new VmConstraint("db1")])]);

        Assert.Equal("a", To(plan, "db1"));
        Assert.Null(To(plan, "db2"));
        Assert.Equal<string>(["db2"], plan.Unplaced);
        var why = plan.Explain("db2");
        Assert.Contains(why, l => l.Contains("apart from db1 (-INFINITY): db1 is on a, banned there"));
        Assert.Contains(why, l => l.Contains("cannot place"));
    }

    [Fact]
    public void Plan_HardApartBothRunningOnOneNode_LowerPriorityLeaves()
    {
        var plan = Plan([Node("a"), Node("b")],
            [Vm("db1", "a", priority: 10), Vm("db2", "a", apart: [new VmConstraint("db1")])]);

        var move = Assert.Single(plan.Actions);
        Assert.Equal(("db2", "a", "b"), (move.Vm, move.From, move.To));
    }

    [Fact]
    public void Plan_HardApartDeclaredOnOneSide_BindsTheOtherToo()
    {
        // db1 declares nothing but is placed after db2 (lower priority): db2's node is banned for it
        var plan = Plan([Node("a"), Node("b")],
            [Vm("db1", prefs: new NodePreference("a", 100)), Vm("db2", priority: 5, apart: [new VmConstraint("db1")], prefs: new NodePreference("a", 100))]);

        Assert.Equal("a", To(plan, "db2"));
        Assert.Equal("b", To(plan, "db1"));
    }

    [Fact]
    public void Plan_HardWith_FollowsItsPartnerOnRecovery()
    {
        // both ran on lost b; db prefers c, web prefers a (higher priority, so it would go first) but runs with db
        var plan = Plan([Node("a"), Node("b", online: false), Node("c")],
            [Vm("db", "b", prefs: new NodePreference("c", 50)),
             Vm("web", "b", priority: 100, with: [new VmConstraint("db")], prefs: new NodePreference("a", 500))]);

        Assert.Equal<string>(["b"], plan.Fence);
        Assert.Equal("c", To(plan, "db"));
        Assert.Equal("c", To(plan, "web"));
        Assert.True(plan.Actions.ToList().FindIndex(a => a.Vm == "db") < plan.Actions.ToList().FindIndex(a => a.Vm == "web"));
        Assert.Contains(plan.Explain("web"), l => l.Contains("with db (INFINITY): db is on c, every other node is banned"));
    }

    [Fact]
    public void Plan_HardWithPartnerRunsNowhere_CannotPlaceWithTheReason()
    {
        var plan = Plan([Node("a")], [new PlacementVm("db", new Capacity(1, 1), Wanted: false), Vm("web", with: [new VmConstraint("db")])]);

        Assert.Equal<string>(["web"], plan.Unplaced);
        Assert.Contains(plan.Explain("web"), l => l.Contains("db runs nowhere, so it cannot run either"));
    }

    [Fact]
    public void Plan_HardWithRunningElsewhere_MovesToThePartner()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("db", "a"), Vm("web", "b", with: [new VmConstraint("db")])]);

        var move = Assert.Single(plan.Actions);
        Assert.Equal(("web", "b", "a"), (move.Vm, move.From, move.To));
    }

    [Fact]
    public void Plan_SoftScores_BreakTies()
    {
        // equal nodes: soft with draws web to db's node, soft apart pushes cache off it
        var plan = Plan([Node("a"), Node("b"), Node("c")],
            [Vm("db", "b"), Vm("web", with: [new VmConstraint("db", 50)]), Vm("cache", apart: [new VmConstraint("db", 50)])]);

        Assert.Equal("b", To(plan, "web"));
        Assert.NotEqual("b", To(plan, "cache"));
        Assert.Contains(plan.Explain("web"), l => l.Contains("with db (50): db is on b, +50 there"));
    }

    [Fact]
    public void Plan_SoftApart_GivesWayToCapacity()
    {
        var plan = Plan([Node("a"), Node("b", online: false)], [Vm("db", "a"), Vm("web", apart: [new VmConstraint("db", 50)])]);

        Assert.Equal("a", To(plan, "web"));
        Assert.Empty(plan.Unplaced);
    }

    [Theory]
    [InlineData("nope", 100, "unknown VM 'nope'")]
    [InlineData("web", 100, "with itself")]
    [InlineData("db", 0, "must be positive")]
    public void Plan_BadConstraint_Refused(string partner, int score, string expected)
    {
        var ex = Assert.Throws<ArgumentException>(() => Plan([Node("a")], [Vm("db"), Vm("web", with: [new VmConstraint(partner, score)])]));

        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Plan_LongWithChain_AllFollowTheFirst()
    {
        // v0000 ← v0001 ← … each runs with the one before; the later ones have higher priority but must wait
        var vms = Enumerable.Range(0, 5000).Select(i =>
            new PlacementVm($"v{i:D4}", new Capacity(0, 0), Priority: i, Preferences: i == 0 ? [new NodePreference("b", 10)] : [],
                With: i == 0 ? [] : [new VmConstraint($"v{i - 1:D4}")]));

        var plan = Plan([Node("a"), Node("b"), Node("c")], vms);

        Assert.Equal(5000, plan.Actions.Length);
        Assert.All(plan.Actions, a => Assert.Equal("b", a.To));
    }
}
