using System.Diagnostics;
using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Bench.Cluster;

/// <summary>Cluster simulation throughput: seeds per minute at 5 hosts (200 chaos steps + convergence), one core.</summary>
public sealed class SimulationBench : IBench
{
    private const int Nodes = 5;
    private const int Steps = 200;

    public string Name => "simulation-seeds";

    public string Description => $"haven simulate seeds/minute on one core ({Nodes} hosts, {Steps} steps + convergence per seed)";

    public Task RunAsync(TextWriter output)
    {
        Run(1, 20); // warm-up: JIT
        foreach (var (first, count) in new[] { (1_000, 100), (2_000, 100), (3_000, 100) })
        {
            var watch = Stopwatch.StartNew();
            var (passed, steps) = Run(first, count);
            watch.Stop();
            var perMinute = count / watch.Elapsed.TotalMinutes;
            output.WriteLine($"simulation-seeds: {count} seeds ({Nodes} hosts) in {watch.Elapsed.TotalSeconds:N1} s = {perMinute:N0} seeds/min on one core, "
                + $"{watch.Elapsed.TotalMilliseconds / count:N1} ms/seed, {steps / (double)count:N0} trace steps/seed, {passed}/{count} passed");
        }
        return Task.CompletedTask;
    }

    private static (int Passed, long Steps) Run(int first, int count)
    {
        var passed = 0;
        long steps = 0;
        for (var seed = first; seed < first + count; seed++)
        {
            var result = ClusterSimulation.Run(new SimulationOptions { Nodes = Nodes, Seed = seed, Steps = Steps, Factory = ClusterActor.Props });
            if (result.Passed) passed++;
            steps += result.Trace.Length;
        }
        return (passed, steps);
    }
}
