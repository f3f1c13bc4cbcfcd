using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

public sealed class SwarmPlanTests
{
    [Fact]
    public void Next_IsAPureFunctionOfSwarmSeedWorkerAndIndex()
    {
        Assert.Equal(SwarmPlan.Next(42, 1, 7), SwarmPlan.Next(42, 1, 7));
        Assert.NotEqual(SwarmPlan.Next(42, 1, 7), SwarmPlan.Next(42, 2, 7));
        Assert.NotEqual(SwarmPlan.Next(42, 1, 7), SwarmPlan.Next(43, 1, 7));
    }

    [Fact]
    public void Runs_CoverEveryHostCount_RunLengthsAndFaultKinds_AndStayFresh()
    {
        var runs = Enumerable.Range(0, 2_000).Select(i => SwarmPlan.Next(7, 0, i)).ToList();

        Assert.Equal(Enumerable.Range(SimulationOptions.MinNodes, SimulationOptions.MaxNodes - SimulationOptions.MinNodes + 1),
            runs.Select(r => r.Nodes).Distinct().Order());
        Assert.All(runs, r => Assert.InRange(r.Steps, SwarmPlan.MinSteps, SwarmPlan.MaxSteps));
        Assert.Contains(runs, r => r.Steps > 1_500);
        Assert.Contains(runs, r => r.Steps < 300);
        Assert.All(runs, r => Assert.True(r.Seed >= SwarmPlan.FirstFreshSeed, $"seed {r.Seed} is in the fixed range"));
        Assert.All(runs, r => Assert.NotEqual(SimulationFaults.None, r.Faults));
        foreach (var kind in SimulationFaultNames.Each)
        {
            Assert.Contains(runs, r => r.Faults.HasFlag(kind));
            Assert.Contains(runs, r => !r.Faults.HasFlag(kind));
        }
        Assert.True(runs.Select(r => r.Seed).Distinct().Count() > 1_990);
        Assert.Equal(SwarmPlan.StableAfterChoicesMs.Order(), runs.Select(r => r.StableAfterMs).Distinct().Order());
    }

    [Fact]
    public void StableAfter_ReachesTheRunAndItsReplay()
    {
        var run = new SwarmRun(3, 10_000_001, 300, SimulationFaults.Classic, 250);

        Assert.True(SwarmRun.TryParse(run.Line, out var back));
        Assert.Equal(run, back);
        Assert.Equal(TimeSpan.FromMilliseconds(250), run.Options(ClusterActor.Props).StableAfter);
        Assert.Equal("haven simulate --nodes 3 --seed 10000001 --steps 300 --stable-after 250", run.ReplayCommand);
    }

    [Fact]
    public void Line_RoundTrips_AndNamesTheReplay()
    {
        var run = new SwarmRun(4, 123456789, 777, SimulationFaults.Partitions | SimulationFaults.Hangs);

        Assert.True(SwarmRun.TryParse(run.Line, out var back));
        Assert.Equal(run, back);
        Assert.Equal("haven simulate --nodes 4 --seed 123456789 --steps 777 --faults partitions,hangs", run.ReplayCommand);
        Assert.False(SwarmRun.TryParse("run 4 x 777 classic 2000", out _));
        Assert.False(SwarmRun.TryParse("run 4 1 777 classic 0", out _));
    }

    [Fact]
    public void Line_NamesTheScheduler_AndAFifoReplaySaysFifo()
    {
        var run = new SwarmRun(3, 424242, 300, SimulationFaults.Classic, 500);
        var fifo = run with { Scheduler = SimulationScheduler.Fifo };

        Assert.Equal(SimulationScheduler.Loop, run.Scheduler); // the default
        Assert.Equal("run 3 424242 300 classic 500 loop", run.Line);
        Assert.Equal("run 3 424242 300 classic 500 fifo", fifo.Line);
        Assert.True(SwarmRun.TryParse(run.Line, out var back));
        Assert.Equal(run, back);
        Assert.True(SwarmRun.TryParse(fifo.Line, out back));
        Assert.Equal(fifo, back);
        Assert.Equal("haven simulate --nodes 3 --seed 424242 --steps 300 --stable-after 500", run.ReplayCommand);
        Assert.Equal("haven simulate --nodes 3 --seed 424242 --steps 300 --stable-after 500 --scheduler fifo", fifo.ReplayCommand);
        Assert.False(SwarmRun.TryParse("run 3 424242 300 classic 500 lifo", out _));
    }

    [Theory]
    [InlineData("classic", SimulationFaults.Classic)]
    [InlineData("all", SimulationFaults.All)]
    [InlineData("partitions, one-way", SimulationFaults.Partitions | SimulationFaults.OneWay)]
    [InlineData("classic,hangs", SimulationFaults.Classic | SimulationFaults.Hangs)]
    public void FaultNames_Parse(string text, SimulationFaults expected)
    {
        Assert.True(SimulationFaultNames.TryParse(text, out var faults, out var error), error);
        Assert.Equal(expected, faults);
        Assert.True(SimulationFaultNames.TryParse(SimulationFaultNames.Format(faults), out var again, out _));
        Assert.Equal(expected, again);
    }

    [Fact]
    public void FaultNames_UnknownKind_IsNamed()
    {
        Assert.False(SimulationFaultNames.TryParse("partitions,gremlins", out _, out var error));
        Assert.Contains("'gremlins'", error);
    }

    [Fact]
    public void ClassicReplayCommand_HasNoFaultsOption()
    {
        Assert.Equal("haven simulate --nodes 3 --seed 5 --steps 200", SimulationOptions.ReplayCommandFor(3, 5, 200, SimulationFaults.Classic));
    }

    [Fact]
    public void ExtraKinds_Replay_ByteForByte()
    {
        var options = new SimulationOptions
        {
            Nodes = 3, Seed = 4242, Steps = 400, Faults = SimulationFaults.All, Factory = Haven.Actors.Cluster.ClusterActor.Props,
        };

        var first = ClusterSimulation.Run(options);
        var second = ClusterSimulation.Run(options);

        Assert.Equal(first.Trace.Select(t => t.ToString()), second.Trace.Select(t => t.ToString()));
        Assert.Contains(first.Trace, t => t.Action.Contains("one-way", StringComparison.Ordinal) || t.Action.Contains("hangs", StringComparison.Ordinal)
                                         || t.Action.Contains("fence device", StringComparison.Ordinal) || t.Action.Contains("timers run", StringComparison.Ordinal));
    }
}
