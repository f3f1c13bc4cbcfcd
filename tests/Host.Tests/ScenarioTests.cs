using Haven.Host.Cli;

namespace Haven.Host.Tests;

/// <summary>
/// Every folder under tests/scenarios runs as `haven simulate --scenario DIR --check`: its trace must equal its
/// trace.expect, with no invariant violated and no command refused by the harness.
/// </summary>
public sealed class ScenarioTests
{
    /// <summary>tests/scenarios, found from the test binary up to Actors.sln (a clean clone, CI, any build path map).</summary>
    private static string ScenariosDir() => Path.Combine(ConfigCheckTests.RepoRoot(), "tests", "scenarios");

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var dir in Directory.GetDirectories(ScenariosDir()).Order(StringComparer.Ordinal)) data.Add(Path.GetFileName(dir));
        return data;
    }

    [Fact]
    public void Corpus_HasTenScenariosEachWithItsThreeFiles()
    {
        var dirs = Directory.GetDirectories(ScenariosDir());

        Assert.True(dirs.Length >= 10, $"{ScenariosDir()} holds {dirs.Length} scenarios");
        foreach (var dir in dirs)
            foreach (var file in new[] { "cluster", "cmdlist", "trace.expect" })
                Assert.True(File.Exists(Path.Combine(dir, file)), $"{dir} has no {file}");
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_Check_TraceEqualsTheExpectedOne(string name)
    {
        var (code, output, error) = await CliRunner.RunAsync("simulate", "--scenario", Path.Combine(ScenariosDir(), name), "--check");

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.Contains("trace matches", output);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Scenario_RunTwice_SameTraceByteForByte()
    {
        var dir = Path.Combine(ScenariosDir(), "partition-minority");

        var first = await CliRunner.RunAsync("simulate", "--scenario", dir);
        var second = await CliRunner.RunAsync("simulate", "--scenario", dir);

        Assert.Equal(0, first.Code);
        Assert.Equal(first.Out, second.Out);
    }

    [Fact]
    public async Task Scenario_ExpectDiffers_ExitsOneWithTheDifferingLines()
    {
        using var temp = new TempDir();
        var dir = Copy("host-crash", temp);
        var expect = Path.Combine(dir, "trace.expect");
        File.WriteAllText(expect, File.ReadAllText(expect).Replace("* n1 fences n2: off", "* n1 fences n2: FAILS", StringComparison.Ordinal));

        var (code, output, _) = await CliRunner.RunAsync("simulate", "--scenario", dir, "--check");

        Assert.Equal(1, code);
        Assert.Contains("-   22.000s * n1 fences n2: FAILS", output);
        Assert.Contains("+   22.000s * n1 fences n2: off", output);
        Assert.Contains("the trace differs from", output);
    }

    [Fact]
    public async Task Scenario_Update_WritesTheTraceThatCheckThenAccepts()
    {
        using var temp = new TempDir();
        var dir = Copy("host-crash", temp);
        File.WriteAllText(Path.Combine(dir, "trace.expect"), "stale\n");

        var update = await CliRunner.RunAsync("simulate", "--scenario", dir, "--update");
        var check = await CliRunner.RunAsync("simulate", "--scenario", dir, "--check");

        Assert.Equal(0, update.Code);
        Assert.Equal(0, check.Code);
        Assert.Equal(File.ReadAllText(Path.Combine(ScenariosDir(), "host-crash", "trace.expect")), File.ReadAllText(Path.Combine(dir, "trace.expect")));
    }

    [Fact]
    public async Task Scenario_CommandThatCannotRun_FailsNamingFileAndLine()
    {
        using var temp = new TempDir();
        var dir = Copy("host-crash", temp);
        File.WriteAllText(Path.Combine(dir, "cmdlist"), "# n2 is up: boot is wrong here\nat 20s boot n2\n");

        var (code, output, error) = await CliRunner.RunAsync("simulate", "--scenario", dir);

        Assert.Equal(1, code);
        Assert.Contains("cmdlist:2: boot n2: n2 is powered on", error);
        Assert.Contains("! boot n2: n2 is powered on", output);
    }

    [Theory]
    [InlineData("cluster", "nodes 9\n", "cluster:1: nodes must be a whole number from 2 to 7, got '9'")]
    [InlineData("cmdlist", "at 5s\n", "cmdlist:1: expected 'at TIME COMMAND', got 'at 5s'")]
    [InlineData("cmdlist", "\nat 5s crash n4\n", "cmdlist:2: 'n4' is not a node of this cluster (n1..n3)")]
    [InlineData("cmdlist", "at 5x crash n2\n", "cmdlist:1: the time '5x' is not a duration")]
    [InlineData("cmdlist", "at 5s haven vm explode VM-01\n", "cmdlist:1: 'haven vm explode VM-01': not a haven command a scenario runs")]
    [InlineData("cmdlist", "at 5s haven cluster leave\n", "cmdlist:1: 'haven cluster leave': cluster leave runs on the host that leaves")]
    public async Task Scenario_BadLine_IsAnErrorNamingFileAndLine(string file, string text, string message)
    {
        using var temp = new TempDir();
        var dir = Copy("host-crash", temp);
        File.WriteAllText(Path.Combine(dir, file), text);

        var (code, output, error) = await CliRunner.RunAsync("simulate", "--scenario", dir);

        Assert.Equal(1, code);
        Assert.Contains(Path.Combine(dir, message), error);
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("--check", "--update", "--check and --update exclude each other")]
    [InlineData("--nodes", "3", "--scenario cannot be combined with --nodes")]
    public async Task Scenario_BadOptions_IsUsageError(string option, string value, string message)
    {
        var args = option == "--check"
            ? new[] { "simulate", "--scenario", Path.Combine(ScenariosDir(), "host-crash"), option, value }
            : ["simulate", "--scenario", Path.Combine(ScenariosDir(), "host-crash"), option, value];

        var (code, _, error) = await CliRunner.RunAsync(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public async Task Check_WithoutScenario_IsUsageError()
    {
        var (code, _, error) = await CliRunner.RunAsync("simulate", "--check");

        Assert.Equal(2, code);
        Assert.Contains("--check needs --scenario DIR", error);
    }

    [Fact]
    public void Diff_EqualTexts_IsNull() => Assert.Null(ScenarioVerb.Diff("a\nb\n", "a\nb\n", "x"));

    [Fact]
    public void Diff_OneLineChanged_ShowsContextAndBothSides()
    {
        var diff = ScenarioVerb.Diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n6\n7\n8\n", "x")!;

        Assert.Equal("--- x\n+++ this run\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n", diff.ReplaceLineEndings("\n"));
    }

    private static string Copy(string name, TempDir temp)
    {
        var dir = Path.Combine(temp.Path, name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(Path.Combine(ScenariosDir(), name))) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        return dir;
    }
}
