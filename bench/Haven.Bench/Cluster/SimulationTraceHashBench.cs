using System.Diagnostics;
using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Bench.Cluster;

/// <summary>
/// The determinism guard's sample: 300 swarm runs (2–7 hosts, 200–2,000 steps, random fault mixes, stable-after
/// 2000/500/250 ms, from a fixed swarm seed) plus 20 fixed classic seeds, one line each with the run's trace hash.
/// Save the output before a change meant to be behaviour-neutral and diff it after: any line that differs is a
/// behaviour change. Also prints the throughput.
/// </summary>
public sealed class SimulationTraceHashBench : IBench
{
    private const long SwarmSeed = 20_261_207;
    private const int SwarmRuns = 300;

    public string Name => "simulation-trace-hashes";

    public string Description => $"trace hashes of {SwarmRuns} swarm runs and 20 classic seeds (diff before/after a speed-up)";

    public Task RunAsync(TextWriter output)
    {
        var runs = Enumerable.Range(0, SwarmRuns).Select(i => SwarmPlan.Next(SwarmSeed, 0, i))
            .Concat(Enumerable.Range(0, 20).Select(i => new SwarmRun(2 + i % 6, 1 + i * 37, 200, SimulationFaults.Classic)))
            .ToArray();
        var lines = new string[runs.Length];
        var watch = Stopwatch.StartNew();
        Parallel.For(0, runs.Length, i =>
        {
            var result = ClusterSimulation.Run(runs[i].Options(ClusterActor.Props));
            lines[i] = $"{runs[i].Line} {(result.Passed ? "pass" : "FAIL")} {result.Trace.Length} {result.TraceHash()}";
        });
        watch.Stop();
        foreach (var line in lines) output.WriteLine(line);
        output.WriteLine($"simulation-trace-hashes: {runs.Length} runs in {watch.Elapsed.TotalSeconds:N1} s = {runs.Length / watch.Elapsed.TotalSeconds:N1} runs/s on {Environment.ProcessorCount} cores");
        return Task.CompletedTask;
    }
}
