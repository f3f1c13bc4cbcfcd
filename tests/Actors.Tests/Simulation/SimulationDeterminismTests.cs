using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

/// <summary>
/// The determinism guard: the same options give the same trace hash, whether a run is the process's first,
/// follows other runs (no state leaks through static caches) or runs beside others on other threads. The sample
/// mixes host counts, fault kinds (all of them in one), run lengths and stable-after values.
/// </summary>
public sealed class SimulationDeterminismTests
{
    private static readonly SwarmRun[] Sample =
    [
        new(2, 41, 300, SimulationFaults.Classic),
        new(3, 7_700_433, 200, SimulationFaults.Classic),
        new(5, 12_345_678, 400, SimulationFaults.All, 500),
        new(7, 99_001, 250, SimulationFaults.Classic, 250),
    ];

    private static string HashOf(SwarmRun run) => ClusterSimulation.Run(run.Options(ClusterActor.Props)).TraceHash();

    [Fact]
    public void TraceHash_SameOptionsRunTwiceAndInParallel_IsTheSame()
    {
        var first = Sample.Select(HashOf).ToArray();
        var again = Sample.Select(HashOf).ToArray();
        var parallel = new string[Sample.Length];
        Parallel.For(0, Sample.Length, i => parallel[i] = HashOf(Sample[i]));

        Assert.Equal(first, again);
        Assert.Equal(first, parallel);
    }

    [Fact]
    public void TraceHash_DifferentSeeds_Differ()
    {
        var hashes = Sample.Select(HashOf).ToArray();
        var neighbours = Sample.Select(r => HashOf(r with { Seed = r.Seed + 1 })).ToArray();

        Assert.Equal(Sample.Length, hashes.Distinct().Count());
        Assert.All(hashes.Zip(neighbours), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public void FifoScheduler_SameOptionsRunTwice_SameTraceHash_AndAnotherHistoryThanTheLoop()
    {
        var onFifo = Sample.Select(r => r with { Scheduler = SimulationScheduler.Fifo }).ToArray();
        var fifo = onFifo.Select(HashOf).ToArray();
        var again = onFifo.Select(HashOf).ToArray();
        var first = Sample.Select(HashOf).ToArray(); // the loop, the default
        Assert.Equal(fifo, again);

        // The loop picks among pending mailboxes by its seed, where the FIFO dispatcher takes them in order: other histories.
        Assert.All(first.Zip(fifo), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public void FifoScheduler_RunsPassTheInvariants_AndReplayWithTheirScheduler()
    {
        var results = Sample.Select(r => ClusterSimulation.Run((r with { Scheduler = SimulationScheduler.Fifo }).Options(ClusterActor.Props))).ToArray();

        Assert.All(results, r => Assert.True(r.Passed, string.Join("\n", r.Violations)));
        Assert.All(results, r => Assert.EndsWith(" --scheduler fifo", r.ReplayCommand));
    }
}
