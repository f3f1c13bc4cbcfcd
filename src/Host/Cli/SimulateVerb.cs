using System.CommandLine;
using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Host.Cli;

/// <summary>
/// `haven simulate [--nodes N] [--seeds K] [--seed S] [--steps M] [--json]`: runs the deterministic
/// cluster simulation for seeds S..S+K-1 on N in-process hosts and checks the cluster invariants after
/// every step. Prints progress and, for every failing seed, its violations and the command that replays
/// it (the first failing seed with its whole step trace). Exit 0 when no seed violated anything, 1 when
/// one did, 2 for bad arguments.
/// </summary>
internal static class SimulateVerb
{
    public const int DefaultNodes = 5;
    public const int DefaultSteps = 200;

    public static Command Build(CliContext cli, ClusterActorFactory? factory = null)
    {
        var nodes = new Option<int>("--nodes") { Description = "hosts in the simulated cluster (2..7)", HelpName = "N", DefaultValueFactory = _ => DefaultNodes };
        var seeds = new Option<int>("--seeds") { Description = "how many seeds to run, from --seed on", HelpName = "K", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "first seed", HelpName = "S", DefaultValueFactory = _ => 1 };
        var steps = new Option<int>("--steps") { Description = "chaos steps per seed before the convergence phase", HelpName = "M", DefaultValueFactory = _ => DefaultSteps };
        var json = HavenCli.JsonOption();
        var cmd = new Command("simulate", "run the deterministic cluster simulation with injected faults and check the invariants")
        {
            nodes, seeds, seed, steps, json,
        };
        cmd.SetAction((parse, ct) => Task.FromResult(Run(cli, factory ?? ClusterActor.Props, parse.GetValue(nodes), parse.GetValue(seeds),
            parse.GetValue(seed), parse.GetValue(steps), parse.GetValue(json), ct)));
        return cmd;
    }

    private static int Run(CliContext cli, ClusterActorFactory factory, int nodes, int seeds, int first, int steps, bool json, CancellationToken ct)
    {
        if (nodes is < SimulationOptions.MinNodes or > SimulationOptions.MaxNodes)
            throw new CliException($"--nodes must be between {SimulationOptions.MinNodes} and {SimulationOptions.MaxNodes}, got {nodes}", ExitCodes.Usage);
        if (seeds < 1) throw new CliException($"--seeds must be at least 1, got {seeds}", ExitCodes.Usage);
        if (steps < 1) throw new CliException($"--steps must be at least 1, got {steps}", ExitCodes.Usage);
        if ((long)first + seeds - 1 > int.MaxValue)
            throw new CliException($"--seed {first} with --seeds {seeds} runs past the largest seed {int.MaxValue}", ExitCodes.Usage);

        var failing = new List<SimulationResult>();
        var violations = 0;
        var done = 0;
        var batch = Math.Max(1, Environment.ProcessorCount) * 4;
        for (var start = 0; start < seeds; start += batch)
        {
            ct.ThrowIfCancellationRequested();
            var count = Math.Min(batch, seeds - start);
            var results = new SimulationResult[count];
            Parallel.For(0, count, new ParallelOptions { CancellationToken = ct }, i =>
                results[i] = ClusterSimulation.Run(new SimulationOptions { Nodes = nodes, Seed = first + start + i, Steps = steps, Factory = factory }));
            foreach (var result in results)
            {
                done++;
                if (result.Passed) continue;
                violations += result.Violations.Length;
                failing.Add(result);
                var report = failing.Count == 1 ? result.Report() : Summary(result);
                (json ? cli.Err : cli.Out).Write(report);
            }
            if (!json && seeds > 1) cli.Out.WriteLine($"{done}/{seeds} seeds, {failing.Count} failing");
        }

        if (json)
        {
            cli.Out.WriteLine(Json(seeds, violations, failing.Select(r => r.Options.Seed)));
        }
        else
        {
            cli.Out.WriteLine(failing.Count == 0
                ? $"{seeds} seed(s) on {nodes} nodes, {steps} steps each: no invariant violated"
                : $"{seeds} seed(s) on {nodes} nodes, {steps} steps each: {failing.Count} failing seed(s), {violations} violation(s): "
                  + string.Join(" ", failing.Select(r => r.Options.Seed)));
        }
        return failing.Count == 0 ? ExitCodes.Success : ExitCodes.Error;
    }

    private static string Summary(SimulationResult result)
    {
        var lines = result.Violations.Take(3).Select(v => "  " + v).ToList();
        if (result.Violations.Length > 3) lines.Add($"  … and {result.Violations.Length - 3} more");
        return $"seed {result.Options.Seed}: {result.Violations.Length} violation(s)\n{string.Join("\n", lines)}\n  replay: {result.ReplayCommand}\n";
    }

    /// <summary>Exactly <c>{"seeds": K, "violations": V, "failingSeeds": [...]}</c>.</summary>
    internal static string Json(int seeds, int violations, IEnumerable<int> failingSeeds) =>
        string.Create(CultureInfo.InvariantCulture, $"{{\"seeds\": {seeds}, \"violations\": {violations}, \"failingSeeds\": [{string.Join(", ", failingSeeds)}]}}");
}
