using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Haven.Host.Tests;

public sealed class SimulateCibVerbTests
{
    private static string GenerateCib(TempDir dir, int nodes, int vms, int lost, [CallerFilePath] string here = "")
    {
        var script = Path.Combine(Path.GetDirectoryName(here)!, "..", "Adapters.Tests", "Placement", "gen_cib.py");
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true };
        foreach (var arg in new[] { script, nodes.ToString(), vms.ToString(), lost.ToString() }) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var xml = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        var path = dir.File("cib.xml");
        File.WriteAllText(path, xml);
        return path;
    }

    [Fact]
    public async Task SimulateCib_Json_PrintsExactlyTheDocumentedShape()
    {
        using var dir = new TempDir();
        var cib = GenerateCib(dir, 4, 20, 2);

        var (code, output, error) = await CliRunner.RunAsync("simulate", "--cib", cib, "--json");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        using var doc = JsonDocument.Parse(output.Trim());
        var root = doc.RootElement;
        Assert.Equal(["fence", "actions", "unplaced", "elapsedMs"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["node2"], root.GetProperty("fence").EnumerateArray().Select(e => e.GetString()));
        var actions = root.GetProperty("actions").EnumerateArray().ToList();
        Assert.Equal(5, actions.Count);
        Assert.All(actions, a =>
        {
            Assert.Equal(["vm", "action", "from", "to"], a.EnumerateObject().Select(p => p.Name));
            Assert.Equal("start", a.GetProperty("action").GetString());
            Assert.Equal("node2", a.GetProperty("from").GetString());
            Assert.NotEqual("node2", a.GetProperty("to").GetString());
        });
        Assert.Equal(["vm1", "vm13", "vm17", "vm5", "vm9"], actions.Select(a => a.GetProperty("vm").GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(0, root.GetProperty("unplaced").GetArrayLength());
        Assert.True(root.GetProperty("elapsedMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task SimulateCib_Text_PrintsPlanAndBothTimes()
    {
        using var dir = new TempDir();
        var cib = GenerateCib(dir, 3, 9, 1);

        var (code, output, _) = await CliRunner.RunAsync("simulate", "--cib", cib);

        Assert.Equal(0, code);
        Assert.Contains("fence: node1", output);
        Assert.Contains("start vm0 from node1 to node", output);
        Assert.Matches(@"4 action\(s\); planned in [0-9.]+ ms \(CIB parsed in [0-9.]+ ms\)", output);
    }

    [Fact]
    public async Task SimulateCib_Summary_PrintsPacemakersTransitionSummaryOnly()
    {
        using var dir = new TempDir();
        var cib = GenerateCib(dir, 3, 6, 2);

        var (code, output, error) = await CliRunner.RunAsync("simulate", "--cib", cib, "--summary");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        var lines = output.TrimEnd('\n').Split('\n');
        Assert.Equal("Transition Summary:", lines[0]);
        Assert.Equal("  * Fence (reboot) node2 'peer is no longer part of the cluster'", lines[1]);
        // vm1 and vm4 ran on node2: both move (allow-migrate cannot migrate off a dead node), as crm_simulate -S prints it
        Assert.Equal(["  * Move       vm1     ( node2 -> node1 )", "  * Move       vm4     ( node2 -> node3 )"], lines[2..]);
    }

    [Fact]
    public async Task SimulateCib_Text_EndsWithTheTransitionSummary()
    {
        using var dir = new TempDir();
        var cib = GenerateCib(dir, 3, 3, 1);

        var (code, output, _) = await CliRunner.RunAsync("simulate", "--cib", cib);

        Assert.Equal(0, code);
        Assert.Contains("\nTransition Summary:\n  * Fence (reboot) node1 'peer is no longer part of the cluster'\n  * Move       vm0     ( node1 -> node2 )\n  * Move       fence   ( node1 -> node3 )\n", output);
    }

    [Fact]
    public async Task SimulateCib_SummaryWithJson_IsUsageError()
    {
        var (code, _, error) = await CliRunner.RunAsync("simulate", "--cib", "x.xml", "--summary", "--json");

        Assert.Equal(2, code);
        Assert.Contains("--summary cannot be combined with --json", error);
    }

    [Theory]
    [InlineData("--nodes", "3")]
    [InlineData("--seeds", "2")]
    public async Task SimulateCib_WithSimulationOption_IsUsageError(string option, string value)
    {
        var (code, output, error) = await CliRunner.RunAsync("simulate", "--cib", "x.xml", option, value);

        Assert.Equal(2, code);
        Assert.Contains($"--cib cannot be combined with {option}", error);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task SimulateCib_MalformedFile_FailsNamingFileAndLine()
    {
        using var dir = new TempDir();
        var path = dir.File("bad.xml");
        File.WriteAllText(path, "<cib>\n<configuration><nodes/><resources/></configuration></cib>");

        var (code, _, error) = await CliRunner.RunAsync("simulate", "--cib", path);

        Assert.Equal(1, code);
        Assert.Contains($"{path}:2: <nodes> lists no node", error);
    }

    [Fact]
    public async Task SimulateCib_MissingFile_FailsNamingIt()
    {
        var (code, _, error) = await CliRunner.RunAsync("simulate", "--cib", "/nonexistent/cib.xml");

        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/cib.xml", error);
    }
}
