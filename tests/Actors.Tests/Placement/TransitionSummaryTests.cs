using Haven.Actors.Placement;

namespace Haven.Actors.Tests.Placement;

public sealed class TransitionSummaryTests
{
    private static PlacementNode Node(string name, NodeHealth health = NodeHealth.Online) => new(name, health, Capacity.Unlimited);

    [Fact]
    public void Lines_PadAsPacemaker_FenceFirstThenEachChangeInAssignmentOrder()
    {
        var input = new PlacementInput(
            [Node("node1"), Node("node2"), Node("node3", NodeHealth.Lost)],
            [
                new PlacementVm("rsc1", default, Order: 0),
                new PlacementVm("rsc2", default, "node1", true, Preferences: [new NodePreference("node2", 100)], Order: 1),
                new PlacementVm("rsc3", default, "node3", true, AllowMigrate: true, Order: 2),
                new PlacementVm("longername4", default, "node1", true, Wanted: false, Order: 3),
            ],
            new PlacementOptions(ResourceStickiness: 1));

        var lines = TransitionSummary.Lines(input, PlacementEngine.Plan(input));

        Assert.Equal<string>(
        [
            "  * Fence (reboot) node3 'peer is no longer part of the cluster'",
            "  * Start      rsc1            (          node1 )",
            "  * Move       rsc2            ( node1 -> node2 )",
            "  * Move       rsc3            ( node3 -> node1 )",
            "  * Stop       longername4     (          node1 )  due to node availability",
        ], lines);
    }

    [Fact]
    public void Lines_NameColumn_GrowsToLengthPlusTwoOnlyWhenALongerNameComes()
    {
        var input = new PlacementInput([Node("a")],
            [new PlacementVm("abcdef", default, Order: 0), new PlacementVm("abcdefg", default, Order: 1), new PlacementVm("x", default, Order: 2)],
            PlacementOptions.Default);

        var lines = TransitionSummary.Lines(input, PlacementEngine.Plan(input));

        // 6 > 5: width 8; 7 is not > 8: stays 8
        Assert.Equal<string>(["  * Start      abcdef     (     a )", "  * Start      abcdefg    (     a )", "  * Start      x          (     a )"], lines);
    }

    [Fact]
    public void Lines_FailedAndMultiplyActiveAndUnmanaged_UsePacemakersWords()
    {
        var input = new PlacementInput([Node("a"), Node("b")],
            [
                new PlacementVm("failed", default, "a", true, Failed: true, Order: 0),
                new PlacementVm("twice", default, "a", true, AlsoRunningOn: ["b"], Preferences: [new NodePreference("a", 10)], Order: 1),
                new PlacementVm("frozen", default, "b", true, Wanted: false, Managed: false, Order: 2),
            ],
            new PlacementOptions(ResourceStickiness: 1));

        var lines = TransitionSummary.Lines(input, PlacementEngine.Plan(input), [("a", "ignored: a is not fenced")]);

        Assert.Equal<string>(["  * Recover    failed     (     a )", "  * Restart    twice      (     a )"], lines); // the node part is at least 5 wide
    }
}
