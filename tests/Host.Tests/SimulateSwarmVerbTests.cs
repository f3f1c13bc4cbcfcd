using System.CommandLine;
using Haven.Actors.Runtime;
using Haven.Host.Cli;

namespace Haven.Host.Tests;

public sealed class SimulateSwarmVerbTests
{
    [Theory]
    [InlineData(new[] { "simulate", "--swarm" }, "--swarm needs --duration")]
    [InlineData(new[] { "simulate", "--swarm", "--duration", "soon" }, "--duration 'soon' is not a duration")]
    [InlineData(new[] { "simulate", "--swarm", "--duration", "10m", "--nodes", "3" }, "--swarm chooses --nodes itself")]
    [InlineData(new[] { "simulate", "--swarm", "--duration", "10m", "--jobs", "0" }, "--jobs must be between 1 and 256, got 0")]
    [InlineData(new[] { "simulate", "--swarm", "--duration", "10m", "--max-seeds", "0" }, "--max-seeds must be at least 1")]
    [InlineData(new[] { "simulate", "--duration", "10m" }, "--duration is for --swarm")]
    [InlineData(new[] { "simulate", "--faults", "partitions,gremlins" }, "unknown fault kind 'gremlins'")]
    public async Task BadArguments_AreUsageErrorsNamingThem(string[] args, string message)
    {
        var (code, output, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("90", 90)]
    [InlineData("10m", 600)]
    [InlineData("2h", 7200)]
    [InlineData("1h30m", 5400)]
    public void ParseDuration_ReadsTheDocumentedForms(string text, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), SwarmVerb.ParseDuration(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0s")]
    [InlineData("-5m")]
    [InlineData("ten minutes")]
    [InlineData("9999999h")]
    public void ParseDuration_RefusesTheRest(string text)
    {
        Assert.Null(SwarmVerb.ParseDuration(text));
    }

    [Fact]
    public async Task Simulate_WithFaults_RunsThatMixAndSaysSo()
    {
        var (code, output, _) = await CliRunner.RunAsync("simulate", "--nodes", "3", "--seed", "5", "--steps", "60", "--faults", "partitions,hangs");

        Assert.Contains("faults partitions,hangs", output);
        Assert.True(code is 0 or 1);
    }

    [Fact]
    public void Worker_PrintsEachRunAndItsOutcome_WithTheViolations()
    {
        var output = new StringWriter();
        // A host that never reports a view never converges: every run fails.
        var code = SwarmVerb.Worker(new CliContext(output, new StringWriter()), (_, _) => Props.Create(() => new SilentHost()),
            swarmSeed: 3, worker: 0, TimeSpan.FromMinutes(5), maxSeeds: 2, CancellationToken.None);

        Assert.Equal(1, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Count(l => l.StartsWith("run ", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l == "FAIL"));
        Assert.Contains(lines, l => l.StartsWith("  step ", StringComparison.Ordinal) && l.Contains("convergence", StringComparison.Ordinal));
    }

    private sealed class SilentHost : Actor;

    [Fact]
    public async Task Swarm_RunsFreshSeedsInWorkerProcesses_AndPrintsTheTotals()
    {
        var (code, output, error) = await CliRunner.RunAsync("simulate", "--swarm", "--duration", "10m", "--jobs", "2", "--max-seeds", "4", "--swarm-seed", "11");

        var last = output.Trim().Split('\n')[^1];
        Assert.True(code == 0, output + error);
        Assert.StartsWith("swarm: 4 seeds in ", last);
        Assert.Contains("0 failing; swarm seed 11", last);
        Assert.Contains("swarm: 2 worker process(es)", output);
    }
    [Theory]
    [InlineData("echo ready; exec sleep 60")] // ends at SIGTERM
    [InlineData("trap '' TERM; echo ready; while :; do :; done")] // loops on CPU and ignores SIGTERM: SIGKILL after the grace
    public void Stop_AWorkerStillRunning_EndsWithinTheGrace(string script)
    {
        var info = new System.Diagnostics.ProcessStartInfo("sh") { UseShellExecute = false, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        using var process = System.Diagnostics.Process.Start(info)!;
        try
        {
            Assert.Equal("ready", process.StandardOutput.ReadLine()); // sh has installed its trap
            var watch = System.Diagnostics.Stopwatch.StartNew();

            SwarmVerb.Stop(process, TimeSpan.FromMilliseconds(500), CancellationToken.None);

            Assert.True(process.HasExited);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
