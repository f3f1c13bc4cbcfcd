using System.Text.Json;
using System.CommandLine;
using Haven.Actors.Runtime;
using Haven.Host.Cli;

namespace Haven.Host.Tests;

public sealed class SimulateVerbTests
{
    [Theory]
    [InlineData("--nodes", "1", "--nodes must be between 2 and 7, got 1")]
    [InlineData("--nodes", "8", "--nodes must be between 2 and 7, got 8")]
    [InlineData("--seeds", "0", "--seeds must be at least 1, got 0")]
    [InlineData("--steps", "0", "--steps must be at least 1, got 0")]
    public async Task Simulate_BadArgument_IsUsageErrorNamingIt(string option, string value, string message)
    {
        var (code, output, error) = await CliRunner.RunAsync("simulate", option, value);

        Assert.Equal(2, code);
        Assert.Contains(message, error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Simulate_UnknownScheduler_IsUsageErrorNamingIt()
    {
        var (code, output, error) = await CliRunner.RunAsync("simulate", "--scheduler", "lifo");

        Assert.Equal(2, code);
        Assert.Contains("--scheduler must be fifo or loop, got 'lifo'", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Simulate_FifoScheduler_RunsAndSaysSo()
    {
        var (code, output, _) = await CliRunner.RunAsync("simulate", "--nodes", "3", "--seeds", "2", "--seed", "5", "--scheduler", "fifo");

        Assert.Equal(0, code);
        Assert.Contains("2 seed(s) on 3 nodes, 200 steps each, scheduler fifo: no invariant violated", output);
    }

    [Fact]
    public async Task Simulate_Log_NamesTheHostOfEveryLine()
    {
        // The console logger writes to the process's own stderr: run the real executable.
        var (code, _, error) = await BadInputProcessTests.HavenAsync("simulate", "--nodes", "2", "--seed", "3", "--steps", "5", "--log");

        Assert.Equal(0, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("info:", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Matches(@"=> ActorPath:haven://n[12]/user/", l));
        Assert.Contains(lines, l => l.Contains("haven://n1/", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("haven://n2/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Simulate_NotANumber_IsUsageError()
    {
        var (code, _, error) = await CliRunner.RunAsync("simulate", "--nodes", "three");

        Assert.Equal(2, code);
        Assert.Contains("three", error);
    }

    [Fact]
    public async Task Simulate_Json_PrintsExactlyTheSummary()
    {
        var (code, output, _) = await CliRunner.RunAsync("simulate", "--nodes", "3", "--seeds", "3", "--seed", "40", "--steps", "30", "--json");

        var line = output.Trim();
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        Assert.Equal(["seeds", "violations", "failingSeeds"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(3, root.GetProperty("seeds").GetInt32());
        var failing = root.GetProperty("failingSeeds").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.All(failing, s => Assert.InRange(s, 40, 42));
        Assert.Equal(root.GetProperty("violations").GetInt32() == 0 ? 0 : 1, code);
        Assert.Equal(failing.Count == 0, root.GetProperty("violations").GetInt32() == 0);
    }

    [Fact]
    public void Json_Format_IsExactlyAsDocumented()
    {
        Assert.Equal("""{"seeds": 10, "violations": 3, "failingSeeds": [4, 7]}""", SimulateVerb.Json(10, 3, [4, 7]));
        Assert.Equal("""{"seeds": 1, "violations": 0, "failingSeeds": []}""", SimulateVerb.Json(1, 0, []));
    }

    [Fact]
    public async Task Simulate_FailingSeed_PrintsTraceAndReplayCommandAndExitsOne()
    {
        // A host that never reports a view can never converge: every seed fails.
        var output = new StringWriter();
        var error = new StringWriter();
        var root = new RootCommand { SimulateVerb.Build(new CliContext(output, error), (_, _) => Props.Create(() => new SilentHost())) };

        var code = await root.Parse(["simulate", "--nodes", "2", "--seeds", "2", "--seed", "9", "--steps", "15"]).InvokeAsync();

        Assert.Equal(1, code);
        var text = output.ToString();
        Assert.Contains("seed 9 (2 nodes, 15 steps): ", text);
        Assert.Contains("convergence", text);
        Assert.Contains("  trace:", text);
        Assert.Contains("start n1 n2", text);
        Assert.Contains("replay: haven simulate --nodes 2 --seed 9 --steps 15", text);
        Assert.Contains("replay: haven simulate --nodes 2 --seed 10 --steps 15", text);
        Assert.Contains("2 failing seed(s)", text);
    }

    private sealed class SilentHost : Actor;

    [Fact]
    public async Task Simulate_SeveralSeeds_PrintsProgressAndSummary()
    {
        var (code, output, _) = await CliRunner.RunAsync("simulate", "--nodes", "3", "--seeds", "2", "--seed", "40", "--steps", "20");

        Assert.Contains("2/2 seeds", output);
        Assert.Contains("2 seed(s) on 3 nodes, 20 steps each:", output);
        Assert.True(code is 0 or 1);
    }
}
