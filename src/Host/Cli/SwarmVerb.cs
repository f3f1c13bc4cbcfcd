using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Haven.Actors.Cluster;
using Haven.Actors.Simulation;

namespace Haven.Host.Cli;

/// <summary>
/// `haven simulate --swarm --duration D [--jobs J] [--swarm-seed S] [--max-seeds N]`: fresh-seed swarm testing.
/// J worker processes (this executable, `--swarm-worker`) each run fresh runs from <see cref="SwarmPlan"/> —
/// host counts 2–7, 200 to 2,000 steps, a random subset of the fault kinds — until the time is up. The parent
/// prints every failing run with its replay command the moment it is found, replays it once in this process
/// to check that it fails the same way, and ends with the totals. Exit 0 when nothing failed, 1 otherwise.
/// </summary>
internal static partial class SwarmVerb
{
    private const string Pass = "pass";
    private const string Fail = "FAIL";

    [GeneratedRegex(@"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")]
    private static partial Regex DurationPattern();

    /// <summary>`90s`, `90`, `10m`, `2h`, `1h30m`; null when it is none of these or zero.</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        var m = DurationPattern().Match(text.Trim());
        if (!m.Success || text.Trim().Length == 0) return null;
        long Part(int i) => m.Groups[i].Success ? long.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) : 0;
        var seconds = Part(1) * 3600 + Part(2) * 60 + Part(3);
        return seconds is > 0 and < 366L * 24 * 3600 ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>The parent: starts the workers, collects their runs, prints failures and totals.</summary>
    internal static int Run(CliContext cli, ClusterActorFactory factory, TimeSpan duration, int jobs, long swarmSeed, long? maxSeeds, CancellationToken ct,
        SimulationScheduler scheduler = SimulationOptions.DefaultScheduler)
    {
        var started = Stopwatch.GetTimestamp();
        var totals = new Totals();
        var workers = new List<(Process Process, Task Reader)>();
        cli.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"swarm: {jobs} worker process(es) for {duration}, swarm seed {swarmSeed}; host counts 2–7, {SwarmPlan.MinSteps}–{SwarmPlan.MaxSteps} steps, random fault mixes")
            + ", scheduler " + SimulationSchedulerNames.Format(scheduler));
        try
        {
            for (var w = 0; w < jobs; w++)
            {
                var perWorker = maxSeeds is { } max ? (max / jobs) + (w < max % jobs ? 1 : 0) : (long?)null;
                if (perWorker == 0) continue;
                var process = StartWorker(swarmSeed, w, duration, perWorker, scheduler);
                var worker = w;
                workers.Add((process, Task.Run(() => Collect(cli, factory, process, worker, totals), CancellationToken.None)));
            }
            using var progress = new Timer(_ => cli.Out.WriteLine(totals.Progress(Stopwatch.GetElapsedTime(started))), null,
                TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            // A worker looks at the deadline between runs only: one still running RunGrace after it (a run looping on CPU)
            // is stopped — SIGTERM, then SIGKILL after TermGrace — and reported with the run it was in.
            var overdueAt = started + (long)((duration + RunGrace).TotalSeconds * Stopwatch.Frequency);
            foreach (var (process, reader) in workers)
            {
                var left = TimeSpan.FromSeconds(Math.Max(0, (overdueAt - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency));
                if (!WaitForExit(process, left, ct))
                {
                    var during = totals.Current(process) is { } late ? $" in {late.ReplayCommand}" : "";
                    totals.WorkerFailed(cli, string.Create(CultureInfo.InvariantCulture,
                        $"a worker was still running {RunGrace.TotalSeconds:0} s after the deadline{during} (a runaway run?): stopped (SIGTERM, then SIGKILL after {TermGrace.TotalSeconds:0} s)"));
                    Stop(process, TermGrace, ct);
                    reader.GetAwaiter().GetResult();
                    continue;
                }
                reader.GetAwaiter().GetResult();
                if (process.ExitCode is not (0 or 1))
                    totals.WorkerFailed(cli, $"a worker exited with {process.ExitCode}{(totals.Current(process) is { } run ? $" during {run.ReplayCommand}" : "")}");
            }
        }
        catch (OperationCanceledException)
        {
            cli.Out.WriteLine("swarm: interrupted");
        }
        finally
        {
            foreach (var (process, _) in workers)
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
                process.Dispose();
            }
        }
        cli.Out.WriteLine(totals.Summary(Stopwatch.GetElapsedTime(started), swarmSeed));
        return totals.Failed == 0 ? ExitCodes.Success : ExitCodes.Error;
    }

    /// <summary>How long after the deadline a worker may finish the run it is in.</summary>
    internal static readonly TimeSpan RunGrace = TimeSpan.FromMinutes(2);

    /// <summary>How long a worker has between SIGTERM and SIGKILL.</summary>
    internal static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(10);

    /// <summary>Waits up to <paramref name="timeout"/> for the process to exit; false when it is still running. Throws when <paramref name="ct"/> is cancelled.</summary>
    private static bool WaitForExit(Process process, TimeSpan timeout, CancellationToken ct)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bounded.CancelAfter(timeout);
        try
        {
            process.WaitForExitAsync(bounded.Token).GetAwaiter().GetResult();
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return process.HasExited;
        }
    }

    /// <summary>SIGTERM, and SIGKILL (the whole tree) if the process has not exited <paramref name="grace"/> later.</summary>
    internal static void Stop(Process process, TimeSpan grace, CancellationToken ct)
    {
        if (process.HasExited) return;
        if (SendSignal(process.Id, SigTerm) == 0 && WaitForExit(process, grace, ct)) return;
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        process.WaitForExit();
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    private static Process StartWorker(long swarmSeed, int worker, TimeSpan duration, long? maxSeeds, SimulationScheduler scheduler)
    {
        var info = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        var self = Environment.ProcessPath ?? throw new CliException("cannot tell which executable this is, to start the swarm's workers");
        info.FileName = self;
        // A worker runs one seed at a time on one thread: the background (concurrent) GC only costs it. Measured here, one
        // worker for 60 s: 22.7 seeds/s with it, 26.4 without. An operator's own setting wins.
        if (Environment.GetEnvironmentVariable("DOTNET_gcConcurrent") is null) info.Environment["DOTNET_gcConcurrent"] = "0";
        // Run as `dotnet haven.dll`, the worker is started the same way.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") info.ArgumentList.Add(typeof(SwarmVerb).Assembly.Location);
        foreach (var arg in new[]
                 {
                     "simulate", "--swarm-worker", worker.ToString(CultureInfo.InvariantCulture),
                     "--swarm-seed", swarmSeed.ToString(CultureInfo.InvariantCulture),
                     "--duration", ((long)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s",
                 })
            info.ArgumentList.Add(arg);
        info.ArgumentList.Add("--scheduler");
        info.ArgumentList.Add(SimulationSchedulerNames.Format(scheduler));
        if (maxSeeds is { } max)
        {
            info.ArgumentList.Add("--max-seeds");
            info.ArgumentList.Add(max.ToString(CultureInfo.InvariantCulture));
        }
        return Process.Start(info) ?? throw new CliException($"could not start a swarm worker ({self})");
    }

    private static void Collect(CliContext cli, ClusterActorFactory factory, Process process, int worker, Totals totals)
    {
        SwarmRun? run = null;
        var violations = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            if (line.StartsWith("run ", StringComparison.Ordinal))
            {
                if (SwarmRun.TryParse(line, out run)) totals.Started(process, run!);
                violations.Clear();
            }
            else if (line.StartsWith("  ", StringComparison.Ordinal)) violations.Add(line.Trim());
            else if (run is not null && line.StartsWith(Pass, StringComparison.Ordinal)) totals.Passed(run);
            else if (run is not null && line.StartsWith(Fail, StringComparison.Ordinal)) totals.FailedRun(cli, factory, run, [.. violations], worker);
        }
    }

    /// <summary>A worker: runs fresh runs until the time is up (or <paramref name="maxSeeds"/> runs), printing each.</summary>
    internal static int Worker(CliContext cli, ClusterActorFactory factory, long swarmSeed, int worker, TimeSpan duration, long? maxSeeds, CancellationToken ct,
        SimulationScheduler scheduler = SimulationOptions.DefaultScheduler)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var failed = false;
        for (long i = 0; (maxSeeds is null || i < maxSeeds) && Stopwatch.GetTimestamp() < deadline && !ct.IsCancellationRequested; i++)
        {
            var run = SwarmPlan.Next(swarmSeed, worker, i) with { Scheduler = scheduler };
            cli.Out.WriteLine(run.Line);
            cli.Out.Flush();
            var result = ClusterSimulation.Run(run.Options(factory));
            if (result.Passed)
            {
                cli.Out.WriteLine(Pass);
            }
            else
            {
                failed = true;
                foreach (var v in result.Violations.Take(5)) cli.Out.WriteLine("  " + v);
                cli.Out.WriteLine(Fail);
            }
            cli.Out.Flush();
        }
        return failed ? ExitCodes.Error : ExitCodes.Success;
    }

    /// <summary>What the workers reported so far; printing is serialized here.</summary>
    private sealed class Totals
    {
        private readonly Lock _lock = new();
        private readonly long[] _byNodes = new long[SimulationOptions.MaxNodes + 1];
        private readonly Dictionary<Process, SwarmRun> _current = [];
        private long _steps;
        private long _seeds;

        public int Failed { get; private set; }

        public SwarmRun? Current(Process p)
        {
            lock (_lock) return _current.GetValueOrDefault(p);
        }

        public void Started(Process p, SwarmRun run)
        {
            lock (_lock) _current[p] = run;
        }

        public void Passed(SwarmRun run)
        {
            lock (_lock) Count(run);
        }

        private void Count(SwarmRun run)
        {
            _seeds++;
            _steps += run.Steps;
            _byNodes[run.Nodes]++;
        }

        public void FailedRun(CliContext cli, ClusterActorFactory factory, SwarmRun run, string[] violations, int worker)
        {
            // Replay in this process: a swarm finding is only worth pinning if it fails the same way again.
            var again = ClusterSimulation.Run(run.Options(factory));
            var first = violations.FirstOrDefault() ?? "";
            var same = !again.Passed && again.Violations[0].ToString() == first;
            lock (_lock)
            {
                Count(run);
                Failed++;
                cli.Out.WriteLine($"FAILING (worker {worker}): {run.Nodes} hosts, seed {run.Seed}, {run.Steps} steps, faults {SimulationFaultNames.Format(run.Faults)}");
                foreach (var v in violations) cli.Out.WriteLine("  " + v);
                cli.Out.WriteLine(same ? "  replays identically: " + run.ReplayCommand
                    : $"  DOES NOT REPLAY THE SAME ({(again.Passed ? "it passed" : again.Violations[0].ToString())}): {run.ReplayCommand}");
                cli.Out.Flush();
            }
        }

        public void WorkerFailed(CliContext cli, string what)
        {
            lock (_lock)
            {
                Failed++;
                cli.Out.WriteLine("FAILING: " + what);
            }
        }

        public string Progress(TimeSpan elapsed)
        {
            lock (_lock)
                return string.Create(CultureInfo.InvariantCulture,
                    $"swarm: {elapsed.TotalMinutes:0} min, {_seeds:N0} seeds, {Failed} failing, {_seeds / Math.Max(1, elapsed.TotalSeconds):0.0} seeds/s");
        }

        public string Summary(TimeSpan elapsed, long swarmSeed)
        {
            lock (_lock)
            {
                var sizes = string.Join(", ", Enumerable.Range(SimulationOptions.MinNodes, SimulationOptions.MaxNodes - SimulationOptions.MinNodes + 1)
                    .Select(n => string.Create(CultureInfo.InvariantCulture, $"{n} hosts: {_byNodes[n]:N0}")));
                return string.Create(CultureInfo.InvariantCulture,
                    $"swarm: {_seeds:N0} seeds in {elapsed.TotalSeconds:0} s ({_seeds / Math.Max(1e-9, elapsed.TotalSeconds):0.0} seeds/s; {sizes}; "
                    + $"{(_seeds == 0 ? 0 : _steps / _seeds):N0} steps a run on average), {Failed} failing; swarm seed {swarmSeed}");
            }
        }
    }
}
