using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

/// <summary>
/// The simulation CI run: 10,002 seeds, 1,667 per cluster size 2..7, <see cref="Steps"/> chaos steps each
/// plus the convergence phase, on the default (loop) scheduler, in 12 theory batches so xunit spreads them over the cores. Part of every
/// test run (about a minute in Release on two cores).
/// </summary>
public sealed class SimulationCiTests
{
    public const int SeedsPerSize = 1_667;
    public const int Steps = 150;
    private const int BatchesPerSize = 2;

    public static TheoryData<int, int, int> Batches()
    {
        var data = new TheoryData<int, int, int>();
        for (var nodes = SimulationOptions.MinNodes; nodes <= SimulationOptions.MaxNodes; nodes++)
            for (var b = 0; b < BatchesPerSize; b++)
            {
                var from = 1 + b * SeedsPerSize / BatchesPerSize;
                var to = (b + 1) * SeedsPerSize / BatchesPerSize;
                data.Add(nodes, from, to);
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Batches))]
    public void Seeds_OnEveryClusterSize_ViolateNoInvariant(int nodes, int firstSeed, int lastSeed)
    {
        var failing = new List<SimulationResult>();
        for (var seed = firstSeed; seed <= lastSeed; seed++)
        {
            var result = ClusterSimulation.Run(new SimulationOptions { Nodes = nodes, Seed = seed, Steps = Steps, Factory = ClusterActor.Props });
            if (!result.Passed) failing.Add(result);
        }

        Assert.True(failing.Count == 0,
            $"{failing.Count} of {lastSeed - firstSeed + 1} seeds on {nodes} nodes failed:\n"
            + string.Join("\n", failing.Take(20).Select(r => $"  {r.Violations[0]}\n    replay: {r.ReplayCommand}"))
            + "\n\nFirst failing seed:\n" + failing.FirstOrDefault()?.Report(maxTraceLines: 40));
    }

    /// <summary>Seeds per size that also run every extra fault kind (late and lying fences, slow timers, one-way loss, hangs, commands).</summary>
    public const int AllFaultSeedsPerSize = 100;

    public static TheoryData<int> Sizes()
    {
        var data = new TheoryData<int>();
        for (var nodes = SimulationOptions.MinNodes; nodes <= SimulationOptions.MaxNodes; nodes++) data.Add(nodes);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AllFaultKinds_OnEveryClusterSize_ViolateNoInvariant(int nodes)
    {
        var failing = new List<SimulationResult>();
        for (var seed = 1; seed <= AllFaultSeedsPerSize; seed++)
        {
            var result = ClusterSimulation.Run(new SimulationOptions
            {
                Nodes = nodes, Seed = seed, Steps = 200, Faults = SimulationFaults.All, Factory = ClusterActor.Props,
            });
            if (!result.Passed) failing.Add(result);
        }

        Assert.True(failing.Count == 0,
            $"{failing.Count} of {AllFaultSeedsPerSize} seeds on {nodes} nodes with every fault kind failed:\n"
            + string.Join("\n", failing.Take(20).Select(r => $"  {r.Violations[0]}\n    replay: {r.ReplayCommand}"))
            + "\n\nFirst failing seed:\n" + failing.FirstOrDefault()?.Report(maxTraceLines: 40));
    }

    [Fact]
    public void Batches_CoverTenThousandSeedsOverEverySize()
    {
        var batches = Batches().Select(row => ((int)row[0], (int)row[1], (int)row[2])).ToList();

        Assert.Equal(12, batches.Count);
        Assert.True(batches.Sum(b => b.Item3 - b.Item2 + 1) >= 10_000);
        Assert.Equal([2, 3, 4, 5, 6, 7], batches.Select(b => b.Item1).Distinct().Order());
    }
}
