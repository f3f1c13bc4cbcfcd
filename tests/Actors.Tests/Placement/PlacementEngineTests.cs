using System.Collections.Immutable;
using Haven.Actors.Placement;

namespace Haven.Actors.Tests.Placement;

public sealed class PlacementEngineTests
{
    private static PlacementNode Node(string name, bool online = true, long cpu = 8, long memory = 8192) =>
        new(name, online ? NodeHealth.Online : NodeHealth.Lost, new Capacity(cpu, memory));

    private static PlacementVm Vm(string name, string? on = null, long cpu = 1, long memory = 1024, int priority = 0,
        bool migrate = false, params NodePreference[] prefs) =>
        new(name, new Capacity(cpu, memory), on, on is not null, priority, migrate, [.. prefs]);

    private static PlacementPlan Plan(IEnumerable<PlacementNode> nodes, IEnumerable<PlacementVm> vms, PlacementOptions? options = null) =>
        PlacementEngine.Plan(new PlacementInput([.. nodes], [.. vms], options ?? PlacementOptions.Default));

    [Fact]
    public void Plan_AllHealthy_EveryRunningVmStaysPut()
    {
        var plan = Plan([Node("a"), Node("b")], [Vm("v1", "a"), Vm("v2", "a"), Vm("v3", "b")],
            new PlacementOptions(PlacementStrategy.Balanced, ResourceStickiness: 100));

        Assert.Empty(plan.Actions);
        Assert.Empty(plan.Fence);
        Assert.Empty(plan.Unplaced);
        Assert.Contains("stays on a", plan.Explain("v1")[0]);
    }

    [Fact]
    public void Plan_LostNodeRanVms_FencesItAndStartsThemOnSurvivors()
    {
        var plan = Plan([Node("a"), Node("b", online: false), Node("c")], [Vm("v1", "a"), Vm("v2", "b"), Vm("v3", "b")]);

        Assert.Equal<string>(["b"], plan.Fence);
        Assert.Equal(2, plan.Actions.Length);
        Assert.All(plan.Actions, a =>
        {
            Assert.Equal(PlacementActionKind.Start, a.Action);
            Assert.Equal("b", a.From);
            Assert.Contains(a.To, new[] { "a", "c" });
        });
        Assert.Equal(["v2", "v3"], plan.Actions.Select(a => a.Vm).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Plan_LostNodeRanNothing_IsNotFenced()
    {
        var plan = Plan([Node("a"), Node("b", online: false)], [Vm("v1", "a")]);

        Assert.Empty(plan.Fence);
        Assert.Empty(plan.Actions);
    }

    [Fact]
    public void Plan_CapacityShort_NeverOverfillsAndReportsUnplaced()
    {
        // a holds 3 of its 4 cpus; b is lost with 3 VMs of 1 cpu: only one fits
        var plan = Plan([Node("a", cpu: 4), Node("b", online: false, cpu: 4)],
            [Vm("x1", "a"), Vm("x2", "a"), Vm("x3", "a"), Vm("v1", "b"), Vm("v2", "b"), Vm("v3", "b")],
            new PlacementOptions(PlacementStrategy.Utilization, ResourceStickiness: 1));

        Assert.Single(plan.Actions);
        Assert.Equal("a", plan.Actions[0].To);
        Assert.Equal(2, plan.Unplaced.Length);
        Assert.Contains("cannot place", plan.Explain(plan.Unplaced[0])[^1]);
    }

    [Fact]
    public void Plan_MemoryShort_RespectsMemoryToo()
    {
        var plan = Plan([Node("a", cpu: 100, memory: 2048), Node("b", online: false)],
            [Vm("v1", "b", memory: 1500), Vm("v2", "b", memory: 1500)]);

        Assert.Single(plan.Actions);
        Assert.Single(plan.Unplaced);
    }

    [Fact]
    public void Plan_CapacityShort_HigherPriorityPlacedFirst()
    {
        var plan = Plan([Node("a", cpu: 2), Node("b", online: false)],
            [Vm("low1", "b", priority: 1), Vm("high", "b", priority: 10), Vm("low2", "b", priority: 1), Vm("mid", "b", priority: 5)]);

        Assert.Equal(["high", "mid"], plan.Actions.Select(a => a.Vm));
        Assert.Equal<string>(["low1", "low2"], plan.Unplaced);
    }

    [Fact]
    public void Plan_CurrentNodeOverfull_LowPriorityStaysOutAndIsStopped()
    {
        // a has shrunk to 1 cpu: the high-priority VM keeps it, the other is moved to b
        var plan = Plan([Node("a", cpu: 1), Node("b", cpu: 1)], [Vm("hi", "a", priority: 5), Vm("lo", "a")]);

        var move = Assert.Single(plan.Actions);
        Assert.Equal(("lo", PlacementActionKind.Move, "a", "b"), (move.Vm, move.Action, move.From, move.To));

        var full = Plan([Node("a", cpu: 1)], [Vm("hi", "a", priority: 5), Vm("lo", "a")]);
        var stop = Assert.Single(full.Actions);
        Assert.Equal(("lo", PlacementActionKind.Stop, "a", (string?)null), (stop.Vm, stop.Action, stop.From, stop.To));
        Assert.Equal<string>(["lo"], full.Unplaced);
    }

    [Fact]
    public void Plan_PreferenceBeatsStickiness_MigratesWhenAllowed()
    {
        var prefs = new[] { new NodePreference("b", 500) };
        var plan = Plan([Node("a"), Node("b")], [Vm("v1", "a", migrate: true, prefs: prefs), Vm("v2", "a", prefs: prefs)],
            new PlacementOptions(ResourceStickiness: 100));

        Assert.Equal([("v1", PlacementActionKind.Migrate), ("v2", PlacementActionKind.Move)], plan.Actions.Select(a => (a.Vm, a.Action)));

        var sticky = Plan([Node("a"), Node("b")], [Vm("v1", "a", migrate: true, prefs: prefs)], new PlacementOptions(ResourceStickiness: 1000));
        Assert.Empty(sticky.Actions);
    }

    [Fact]
    public void Plan_BannedNode_NeverChosen()
    {
        var plan = Plan([Node("a"), Node("b"), Node("c", online: false)],
            [Vm("v1", "c", prefs: [new NodePreference("a", PlacementScores.Banned)])]);

        Assert.Equal("b", Assert.Single(plan.Actions).To);
    }

    [Fact]
    public void Plan_PreferredNode_WinsOverEmptierNode()
    {
        var plan = Plan([Node("a"), Node("b"), Node("lost", online: false)],
            [Vm("x", "b"), Vm("v1", "lost", prefs: [new NodePreference("b", 100)])],
            new PlacementOptions(PlacementStrategy.Balanced, ResourceStickiness: 1));

        Assert.Equal("b", Assert.Single(plan.Actions).To);
        Assert.Contains(plan.Explain("v1"), l => l.Contains("b: score 100", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_Balanced_SpreadsEvenlyOverEqualNodes()
    {
        var vms = Enumerable.Range(0, 30).Select(i => Vm($"v{i:00}", "lost")).ToList();
        var plan = Plan([Node("a", cpu: 64, memory: 65536), Node("b", cpu: 64, memory: 65536), Node("c", cpu: 64, memory: 65536), Node("lost", online: false)], vms,
            new PlacementOptions(PlacementStrategy.Balanced));

        var perNode = plan.Actions.GroupBy(a => a.To).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(new Dictionary<string, int> { ["a"] = 10, ["b"] = 10, ["c"] = 10 }, perNode);
    }

    [Fact]
    public void Plan_Balanced_FavoursTheLessLoadedNode()
    {
        var plan = Plan([Node("a", cpu: 8), Node("b", cpu: 8), Node("lost", online: false)],
            [Vm("x1", "a", cpu: 4, memory: 0), Vm("x2", "b", cpu: 1, memory: 0), Vm("v1", "lost", cpu: 1, memory: 0), Vm("v2", "lost", cpu: 1, memory: 0)],
            new PlacementOptions(PlacementStrategy.Balanced, ResourceStickiness: 1));

        Assert.All(plan.Actions, a => Assert.Equal("b", a.To));
    }

    [Fact]
    public void Plan_Minimal_PacksOntoFirstNode()
    {
        var vms = Enumerable.Range(0, 5).Select(i => Vm($"v{i}")).ToList();
        var plan = Plan([Node("a", cpu: 4), Node("b", cpu: 4)], vms, new PlacementOptions(PlacementStrategy.Minimal));

        Assert.Equal(4, plan.Actions.Count(a => a.To == "a"));
        Assert.Equal(1, plan.Actions.Count(a => a.To == "b"));
        Assert.All(plan.Actions, a => Assert.Null(a.From));
    }

    [Fact]
    public void Plan_ShuffledInput_GivesTheSamePlan()
    {
        var nodes = Enumerable.Range(1, 6).Select(i => Node($"n{i}", online: i != 3, cpu: 17, memory: 65536)).ToList();
        var vms = Enumerable.Range(0, 90).Select(i => Vm($"vm{i}", $"n{i % 6 + 1}", priority: i % 4,
            prefs: [new NodePreference($"n{(i * 7) % 6 + 1}", i % 5 * 10)])).ToList();
        var options = new PlacementOptions(PlacementStrategy.Balanced, 10, BatchLimit: 7, MigrationLimit: 2);
        var expected = Plan(nodes, vms, options);
        Assert.NotEmpty(expected.Actions);
        Assert.NotEmpty(expected.Unplaced);

        var random = new Random(42);
        for (var round = 0; round < 5; round++)
        {
            var plan = Plan(nodes.OrderBy(_ => random.Next()), vms.OrderBy(_ => random.Next()), options);
            Assert.Equal<PlacementAction>(expected.Actions, plan.Actions);
            Assert.Equal<string>(expected.Fence, plan.Fence);
            Assert.Equal<string>(expected.Unplaced, plan.Unplaced);
            Assert.Equal(expected.Explain("vm2"), plan.Explain("vm2"));
        }
    }

    [Fact]
    public void Plan_BatchAndMigrationLimits_SplitActionsIntoWaves()
    {
        var vms = Enumerable.Range(0, 5).Select(i => Vm($"v{i}", "lost")).ToList();
        var plan = Plan([Node("a", cpu: 64), Node("lost", online: false)], vms, new PlacementOptions(BatchLimit: 2));

        Assert.Equal([0, 0, 1, 1, 2], plan.Actions.Select(a => a.Wave));
    }

    [Fact]
    public void Plan_NotWantedVm_IsStoppedOnItsNode()
    {
        var vm = Vm("v1", "a") with { Wanted = false };
        var plan = Plan([Node("a")], [vm]);

        var stop = Assert.Single(plan.Actions);
        Assert.Equal((PlacementActionKind.Stop, "a"), (stop.Action, stop.From));
        Assert.Empty(plan.Unplaced);
    }

    [Theory]
    [InlineData("ghost", null, "prefers unknown node 'ghost'")]
    [InlineData(null, "ghost", "runs on unknown node 'ghost'")]
    public void Plan_UnknownNode_IsRejectedNamingIt(string? preferred, string? on, string message)
    {
        var vm = Vm("v1", on, prefs: preferred is null ? [] : [new NodePreference(preferred, 1)]);

        var e = Assert.Throws<ArgumentException>(() => Plan([Node("a")], [vm]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Plan_BadInput_IsRejected()
    {
        Assert.Contains("negative utilization", Assert.Throws<ArgumentException>(() => Plan([Node("a")], [Vm("v", cpu: -1)])).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => Plan([Node("a")], [Vm("v"), Vm("v")])).Message);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => Plan([Node("a"), Node("a")], [])).Message);
    }

    [Fact]
    public void Explain_UnknownVm_Throws() =>
        Assert.Throws<ArgumentException>(() => Plan([Node("a")], [Vm("v")]).Explain("w"));

    [Fact]
    public void Plan_ManyVmsOneHostLost_PlacesAllWithinCapacity()
    {
        var nodes = Enumerable.Range(1, 32).Select(i => Node($"node{i}", online: i != 5, cpu: 640, memory: 262144)).ToList();
        var vms = Enumerable.Range(0, 10_000).Select(i => Vm($"vm{i}", $"node{i % 32 + 1}", memory: 512,
            prefs: [new NodePreference($"node{i % 32 + 1}", 1000)])).ToList();
        var plan = Plan(nodes, vms, new PlacementOptions(PlacementStrategy.Balanced, 10_000));

        Assert.Equal<string>(["node5"], plan.Fence);
        Assert.Equal(vms.Count(v => v.CurrentNode == "node5"), plan.Actions.Length);
        Assert.Empty(plan.Unplaced);
        var load = vms.Where(v => v.CurrentNode != "node5").GroupBy(v => v.CurrentNode!).ToDictionary(g => g.Key, g => g.Count());
        foreach (var a in plan.Actions) load[a.To!]++;
        Assert.InRange(load.Values.Max() - load.Values.Min(), 0, 1);
        Assert.All(load.Values, n => Assert.True(n <= 640));
    }
}
