using System.Globalization;
using Haven.Actors.Cluster;

namespace Haven.Actors.Simulation;

/// <summary>One swarm run: what a worker runs next, all of it derived from the swarm's seed.</summary>
/// <remarks><paramref name="StableAfterMs"/>: the hosts' stable-after, in ms.</remarks>
public sealed record SwarmRun(int Nodes, int Seed, int Steps, SimulationFaults Faults, int StableAfterMs = 2000,
    SimulationScheduler Scheduler = SimulationOptions.DefaultScheduler)
{
    public SimulationOptions Options(ClusterActorFactory factory) =>
        new() { Nodes = Nodes, Seed = Seed, Steps = Steps, Faults = Faults, Factory = factory, StableAfter = TimeSpan.FromMilliseconds(StableAfterMs), Scheduler = Scheduler };

    public string ReplayCommand => SimulationOptions.ReplayCommandFor(Nodes, Seed, Steps, Faults, TimeSpan.FromMilliseconds(StableAfterMs), Scheduler);

    /// <summary>One line a worker prints before it starts the run: `run NODES SEED STEPS FAULTS STABLE-AFTER-MS fifo|loop`.</summary>
    public string Line => string.Create(CultureInfo.InvariantCulture, $"run {Nodes} {Seed} {Steps} {SimulationFaultNames.Format(Faults)} {StableAfterMs} ")
        + SimulationSchedulerNames.Format(Scheduler);

    public static bool TryParse(string line, out SwarmRun? run)
    {
        run = null;
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 7 || parts[0] != "run" || !SimulationSchedulerNames.TryParse(parts[6], out var scheduler)
            || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var nodes)
            || !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var seed)
            || !int.TryParse(parts[3], CultureInfo.InvariantCulture, out var steps)
            || !SimulationFaultNames.TryParse(parts[4], out var faults, out _)
            || !int.TryParse(parts[5], CultureInfo.InvariantCulture, out var stableAfterMs) || stableAfterMs < 1)
            return false;
        run = new SwarmRun(nodes, seed, steps, faults, stableAfterMs, scheduler);
        return true;
    }
}

/// <summary>
/// Swarm testing (Groce et al.): every run gets fresh parameters — a host count from 2 to 7, a seed never
/// used by the fixed CI range, a run length from 200 to 2,000 steps, a random subset of the fault kinds and a
/// stable-after of 2 s, 500 ms or 250 ms —
/// so that runs differ in what they stress, not only in their seed. Pure: the swarm seed, the worker and the
/// run's index give the run, so a swarm can be replayed and a worker's runs never repeat another's.
/// </summary>
public static class SwarmPlan
{
    /// <summary>Seeds below this are the fixed CI range and the pinned seeds' neighbourhood; the swarm draws above it.</summary>
    public const int FirstFreshSeed = 10_000_000;

    public const int MinSteps = 200;

    /// <summary>The stable-after values a run is given, in ms.</summary>
    public static readonly int[] StableAfterChoicesMs = [2000, 500, 250];
    public const int MaxSteps = 2_000;

    public static SwarmRun Next(long swarmSeed, int worker, long index)
    {
        var random = new Random(Mix(swarmSeed, worker, index));
        var nodes = SimulationOptions.MinNodes + random.Next(SimulationOptions.MaxNodes - SimulationOptions.MinNodes + 1);
        var seed = FirstFreshSeed + random.Next(int.MaxValue - FirstFreshSeed);
        // Mostly short runs, some long ones: 200–400 steps half the time, up to 1,000 a third, up to 2,000 the rest.
        var steps = random.Next(6) switch
        {
            0 or 1 or 2 => MinSteps + random.Next(201),
            3 or 4 => 400 + random.Next(601),
            _ => 1_000 + random.Next(MaxSteps - 1_000 + 1),
        };
        // Each kind is in with probability 1/2 (at least one), and one run in eight has them all.
        var faults = SimulationFaults.None;
        if (random.Next(8) == 0) faults = SimulationFaults.All;
        else
            foreach (var kind in SimulationFaultNames.Each)
                if (random.Next(2) == 0) faults |= kind;
        if (faults == SimulationFaults.None) faults = SimulationFaultNames.Each[random.Next(SimulationFaultNames.Each.Count)];
        // stable-after: the fixed seeds' 2 s, the daemon's default 500 ms or the fast-failover profile's 250 ms, a third each
        // (drawn last, so the rest of a run is what it was before stable-after varied).
        var stableAfterMs = StableAfterChoicesMs[random.Next(StableAfterChoicesMs.Length)];
        return new SwarmRun(nodes, seed, steps, faults, stableAfterMs);
    }

    private static int Mix(long swarmSeed, int worker, long index)
    {
        // SplitMix64 over the three inputs: nearby swarm seeds, workers and indexes give unrelated runs.
        var x = unchecked((ulong)swarmSeed * 0x9E3779B97F4A7C15UL + (ulong)worker * 0xBF58476D1CE4E5B9UL + (ulong)index * 0x94D049BB133111EBUL);
        x ^= x >> 30;
        x = unchecked(x * 0xBF58476D1CE4E5B9UL);
        x ^= x >> 27;
        x = unchecked(x * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        return unchecked((int)(x ^ (x >> 32)));
    }
}
