using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics;
using System.Text.Json;
using System.Globalization;
using Haven.Actors.Cluster;
using Haven.Actors.Placement;
using Haven.Actors.Simulation;
using Haven.Adapters.Placement;

namespace Haven.Host.Cli;

/// <summary>
/// `haven simulate [--nodes N] [--seeds K] [--seed S] [--steps M] [--json]`: runs the deterministic
/// cluster simulation for seeds S..S+K-1 on N in-process hosts and checks the cluster invariants after
/// every step. Prints progress and, for every failing seed, its violations and the command that replays
/// it (the first failing seed with its whole step trace). Exit 0 when no seed violated anything, 1 when
/// one did, 2 for bad arguments. With `--cib FILE` it plans recovery for a Pacemaker CIB instead (<see cref="RunCib"/>); with
/// `--scenario DIR [--check | --update]` it runs a scripted scenario (<see cref="ScenarioVerb"/>).
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
        var cib = new Option<string?>("--cib") { Description = "plan recovery for a Pacemaker CIB file instead of simulating", HelpName = "FILE" };
        var summary = new Option<bool>("--summary") { Description = "with --cib: print only Pacemaker's Transition Summary (to diff with crm_simulate -S)" };
        var faults = new Option<string?>("--faults") { Description = $"fault kinds to inject, comma-separated (default classic; all; {SimulationFaultNames.Names})", HelpName = "KINDS" };
        var swarm = new Option<bool>("--swarm") { Description = "swarm testing: fresh seeds on 2..7 hosts, 200..2,000 steps and random fault mixes, in parallel processes, until --duration is up" };
        var duration = new Option<string?>("--duration") { Description = "how long the swarm runs (90s, 10m, 2h, 1h30m)", HelpName = "D" };
        var jobs = new Option<int>("--jobs") { Description = "swarm worker processes", HelpName = "J", DefaultValueFactory = _ => Environment.ProcessorCount };
        var swarmSeed = new Option<long?>("--swarm-seed") { Description = "the swarm's own seed (default: random, printed), from which every run is derived", HelpName = "S" };
        var maxSeeds = new Option<long?>("--max-seeds") { Description = "stop the swarm after this many runs", HelpName = "N" };
        var worker = new Option<int?>("--swarm-worker") { Hidden = true };
        var stableAfter = new Option<int>("--stable-after")
        {
            Description = "the simulated hosts' split-brain stable-after in ms (the swarm varies it: 2000, 500, 250)", HelpName = "MS",
            DefaultValueFactory = _ => (int)SimulationOptions.DefaultStableAfter.TotalMilliseconds,
        };
        var scheduler = new Option<string?>("--scheduler")
        {
            Description = "how the hosts' actors are run between steps: loop (default: a seeded pick among pending mailboxes, the Akka port's loop) or fifo (first in, first out: the pinned seeds found before the loop)",
            HelpName = "fifo|loop",
        };
        var scenario = new Option<string?>("--scenario") { Description = "run a scripted scenario folder (cluster, cmdlist, trace.expect) and print its trace", HelpName = "DIR" };
        var check = new Option<bool>("--check") { Description = "with --scenario: diff the trace against trace.expect, exit 1 on a difference" };
        var update = new Option<bool>("--update") { Description = "with --scenario: rewrite trace.expect with this run's trace" };
        var log = new Option<bool>("--log") { Description = "with one seed: print every host's actor log (debug level) to standard error while it runs" };
        var cmd = new Command("simulate", "run the deterministic cluster simulation with injected faults and check the invariants, or plan a Pacemaker CIB (--cib)")
        {
            nodes, seeds, seed, steps, json, cib, summary, log, faults, stableAfter, scheduler, swarm, duration, jobs, swarmSeed, maxSeeds, worker, scenario, check, update,
        };
        cmd.SetAction((parse, ct) =>
        {
            if (parse.GetValue(scenario) is { } folder)
            {
                foreach (var other in new Option[] { nodes, seeds, seed, steps, json, cib, summary, log, faults, stableAfter, scheduler, swarm, duration, jobs, swarmSeed, maxSeeds })
                    if (parse.GetResult(other) is { Implicit: false })
                        throw new CliException($"--scenario cannot be combined with {other.Name} (the scenario's cluster file sets the run)", ExitCodes.Usage);
                if (parse.GetValue(check) && parse.GetValue(update)) throw new CliException("--check and --update exclude each other", ExitCodes.Usage);
                return Task.FromResult(ScenarioVerb.Run(cli, factory ?? ClusterActor.Props, folder, parse.GetValue(check), parse.GetValue(update)));
            }
            foreach (var scenarioOnly in new Option[] { check, update })
                if (parse.GetResult(scenarioOnly) is { Implicit: false })
                    throw new CliException($"{scenarioOnly.Name} needs --scenario DIR", ExitCodes.Usage);
            if (parse.GetValue(cib) is { } file)
            {
                foreach (var other in new Option[] { nodes, seeds, seed, steps, faults, stableAfter, scheduler, swarm, log })
                    if (parse.GetResult(other) is { Implicit: false })
                        throw new CliException($"--cib cannot be combined with {other.Name}", ExitCodes.Usage);
                if (parse.GetValue(summary) && parse.GetValue(json)) throw new CliException("--summary cannot be combined with --json", ExitCodes.Usage);
                return Task.FromResult(RunCib(cli, file, parse.GetValue(json), parse.GetValue(summary)));
            }
            if (parse.GetValue(summary)) throw new CliException("--summary needs --cib FILE", ExitCodes.Usage);
            var kinds = SimulationFaults.Classic;
            if (parse.GetValue(faults) is { } text && !SimulationFaultNames.TryParse(text, out kinds, out var bad))
                throw new CliException($"--faults: {bad}", ExitCodes.Usage);
            var runOn = ParseScheduler(parse.GetValue(scheduler));
            if (parse.GetValue(swarm) || parse.GetValue(worker) is not null)
            {
                foreach (var other in new Option[] { nodes, seeds, seed, steps, json, log, faults, stableAfter })
                    if (parse.GetResult(other) is { Implicit: false })
                        throw new CliException($"--swarm chooses {other.Name} itself for every run; drop {other.Name}", ExitCodes.Usage);
                var span = parse.GetValue(duration) is { } d
                    ? SwarmVerb.ParseDuration(d) ?? throw new CliException($"--duration '{d}' is not a duration (90s, 10m, 2h, 1h30m)", ExitCodes.Usage)
                    : throw new CliException("--swarm needs --duration (for example --duration 10m)", ExitCodes.Usage);
                if (parse.GetValue(maxSeeds) is < 1) throw new CliException("--max-seeds must be at least 1", ExitCodes.Usage);
                var master = parse.GetValue(swarmSeed) ?? System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue);
                if (parse.GetValue(worker) is { } index)
                    return Task.FromResult(SwarmVerb.Worker(cli, factory ?? ClusterActor.Props, master, index, span, parse.GetValue(maxSeeds), ct, runOn));
                var j = parse.GetValue(jobs);
                if (j is < 1 or > 256) throw new CliException($"--jobs must be between 1 and 256, got {j}", ExitCodes.Usage);
                return Task.FromResult(SwarmVerb.Run(cli, factory ?? ClusterActor.Props, span, j, master, parse.GetValue(maxSeeds), ct, runOn));
            }
            foreach (var swarmOnly in new Option[] { duration, swarmSeed, maxSeeds })
                if (parse.GetResult(swarmOnly) is { Implicit: false })
                    throw new CliException($"{swarmOnly.Name} is for --swarm", ExitCodes.Usage);
            if (parse.GetValue(log) && parse.GetValue(seeds) != 1) throw new CliException("--log needs a single seed (--seeds 1)", ExitCodes.Usage);
            using var loggers = parse.GetValue(log)
                ? Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
                    .AddSimpleConsole(o => { o.SingleLine = true; o.IncludeScopes = true; }) // the scope is the actor path, which names the host
                    .AddFilter(_ => true).SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug)
                    .Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace))
                : null;
            return Task.FromResult(Run(cli, factory ?? ClusterActor.Props, parse.GetValue(nodes), parse.GetValue(seeds),
                parse.GetValue(seed), parse.GetValue(steps), parse.GetValue(json), ct, loggers, kinds, parse.GetValue(stableAfter), runOn));
        });
        return cmd;
    }

    private static SimulationScheduler ParseScheduler(string? text) =>
        text is null ? SimulationOptions.DefaultScheduler
        : SimulationSchedulerNames.TryParse(text, out var scheduler) ? scheduler
        : throw new CliException($"--scheduler must be fifo or loop, got '{text}'", ExitCodes.Usage);

    private static int Run(CliContext cli, ClusterActorFactory factory, int nodes, int seeds, int first, int steps, bool json, CancellationToken ct,
        Microsoft.Extensions.Logging.ILoggerFactory? loggers = null, SimulationFaults faults = SimulationFaults.Classic, int stableAfterMs = 2000,
        SimulationScheduler scheduler = SimulationOptions.DefaultScheduler)
    {
        if (stableAfterMs is < 1 or > 3_600_000)
            throw new CliException($"--stable-after must be between 1 and 3600000 ms, got {stableAfterMs}", ExitCodes.Usage);
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
                results[i] = ClusterSimulation.Run(new SimulationOptions { Nodes = nodes, Seed = first + start + i, Steps = steps, Factory = factory, LoggerFactory = loggers, Faults = faults,
                    StableAfter = TimeSpan.FromMilliseconds(stableAfterMs), Scheduler = scheduler }));
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
                ? $"{seeds} seed(s) on {nodes} nodes, {steps} steps each{(faults == SimulationFaults.Classic ? "" : ", faults " + SimulationFaultNames.Format(faults))}{(scheduler == SimulationOptions.DefaultScheduler ? "" : ", scheduler " + SimulationSchedulerNames.Format(scheduler))}: no invariant violated"
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

    /// <summary>
    /// `haven simulate --cib FILE [--json | --summary]`: reads a Pacemaker CIB, plans recovery with the placement engine and
    /// prints the plan with the time the engine took (parse time apart), then Pacemaker's Transition Summary for the same
    /// plan and the CIB's warnings (what Pacemaker ignores); `--summary` prints the summary alone, `--json` the plan alone
    /// (warnings go to stderr). Exit 0 when a plan was made (unplaced VMs are part of it), 1 when the CIB cannot be read.
    /// </summary>
    private static int RunCib(CliContext cli, string file, bool json, bool summaryOnly)
    {
        if (!File.Exists(file)) throw new CliException($"--cib {file}: no such file");
        var parseStart = Stopwatch.GetTimestamp();
        CibModel model;
        try
        {
            model = CibReader.ReadModelFile(file);
        }
        catch (CibFormatException e)
        {
            throw new CliException(e.Message);
        }
        var input = model.Input;
        var parsed = Stopwatch.GetElapsedTime(parseStart);
        var planStart = Stopwatch.GetTimestamp();
        var plan = PlacementEngine.Plan(input);
        var elapsed = Stopwatch.GetElapsedTime(planStart);
        var summary = model.Summary(plan);

        if (json || summaryOnly)
        {
            foreach (var w in model.Warnings) cli.Err.WriteLine("warning: " + w);
            foreach (var r in plan.Reports) cli.Err.WriteLine("unmanaged: " + r);
        }
        if (json)
        {
            cli.Out.WriteLine(PlanJson(plan, elapsed.TotalMilliseconds));
            return ExitCodes.Success;
        }
        if (summaryOnly)
        {
            cli.Out.WriteLine("Transition Summary:");
            foreach (var line in summary) cli.Out.WriteLine(line);
            return ExitCodes.Success;
        }
        var inv = CultureInfo.InvariantCulture;
        cli.Out.WriteLine(string.Create(inv, $"{input.Nodes.Length} nodes ({input.Nodes.Count(n => n.Health == NodeHealth.Online)} online), {input.Vms.Length} resources, placement-strategy {input.Options.Strategy.ToString().ToLowerInvariant()}, resource-stickiness {input.Options.ResourceStickiness}"));
        cli.Out.WriteLine(plan.Fence.IsEmpty ? "fence: nothing" : "fence: " + string.Join(" ", plan.Fence));
        foreach (var a in plan.Actions)
            cli.Out.WriteLine($"  wave {a.Wave.ToString(inv)}: {a.ActionName} {a.Vm}{(a.From is null ? "" : " from " + a.From)}{(a.To is null ? "" : " to " + a.To)}");
        cli.Out.WriteLine(plan.Unplaced.IsEmpty ? "unplaced: none" : $"unplaced ({plan.Unplaced.Length}): " + string.Join(" ", plan.Unplaced));
        cli.Out.WriteLine(string.Create(inv, $"{plan.Actions.Length} action(s); planned in {elapsed.TotalMilliseconds:0.###} ms (CIB parsed in {parsed.TotalMilliseconds:0.###} ms)"));
        cli.Out.WriteLine();
        cli.Out.WriteLine("Transition Summary:");
        foreach (var line in summary) cli.Out.WriteLine(line);
        foreach (var r in plan.Reports) cli.Out.WriteLine("unmanaged: " + r);
        foreach (var w in model.Warnings) cli.Out.WriteLine("warning: " + w);
        return ExitCodes.Success;
    }

    /// <summary>Exactly <c>{"fence": [...], "actions": [{"vm", "action", "from", "to"}], "unplaced": [...], "elapsedMs": N}</c>.</summary>
    internal static string PlanJson(PlacementPlan plan, double elapsedMs)
    {
        static string S(string? s) => s is null ? "null" : JsonSerializer.Serialize(s);
        var actions = plan.Actions.Select(a => $"{{\"vm\": {S(a.Vm)}, \"action\": {S(a.ActionName)}, \"from\": {S(a.From)}, \"to\": {S(a.To)}}}");
        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"fence\": [{string.Join(", ", plan.Fence.Select(S))}], \"actions\": [{string.Join(", ", actions)}], \"unplaced\": [{string.Join(", ", plan.Unplaced.Select(S))}], \"elapsedMs\": {Math.Round(elapsedMs, 3)}}}");
    }
}
