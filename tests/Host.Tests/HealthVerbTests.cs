using System.Text.Json;
using Haven.Host.Cli;
using Haven.Host.Control;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>`haven health` against a one-host daemon, its exit codes, and the pure cluster and peer checks.</summary>
public class HealthVerbTests
{
    private static string Config(TempDir dir, string extra = "") => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging.console = off
          {{extra}}
        }
        """);

    private static Dictionary<string, (string Status, string Reason)> Checks(string json) =>
        JsonDocument.Parse(json).RootElement.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => (c.GetProperty("status").GetString()!, c.GetProperty("reason").GetString()!));

    [Fact]
    public async Task Health_OneHostPrimaryDaemon_EveryCheckSucceedsAndExitsZero()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        var (code, output, err) = await CliRunner.RunAsync("health", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err + output);
        Assert.Equal("success", JsonDocument.Parse(output).RootElement.GetProperty("status").GetString());
        var checks = Checks(output);
        Assert.Equal(["cluster", "fencing", "heuristics", "journal", "peers"], checks.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("writable", checks["journal"].Reason);
        Assert.Contains("primary", checks["cluster"].Reason);
        Assert.StartsWith("skipped: fencing is off", checks["fencing"].Reason);

        var (tableCode, table, _) = await CliRunner.RunAsync("health", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, tableCode);
        Assert.Matches(@"(?m)^SUCCESS\s+journal\s+sqlite ", table);
        Assert.Contains("overall: SUCCESS", table);
    }

    [Fact]
    public async Task Health_HeuristicAddressUnreachable_WarnsAndExitsOne()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir, """heuristics { enabled = on, addresses = ["gateway.invalid"], timeout = 100ms }"""));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        var (code, output, err) = await CliRunner.RunAsync("health", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == HealthVerb.Warning, err + output);
        Assert.Equal("warning", Checks(output)["heuristic gateway.invalid"].Status);
    }

    [Fact]
    public async Task Health_NoDaemon_ExitsTwoWithTheReason()
    {
        using var dir = new TempDir();
        var (code, _, err) = await CliRunner.RunAsync("health", "--socket", dir.File("absent.sock"));
        Assert.Equal(HealthVerb.Unhealthy, code);
        Assert.Contains("absent.sock", err);
    }

    [Theory]
    [InlineData("success", 0)]
    [InlineData("warning", 1)]
    [InlineData("error", 2)]
    public void ExitCode_WorstStatus_MapsToZeroOneTwo(string status, int expected) => Assert.Equal(expected, HealthVerb.ExitCode(status));

    [Fact]
    public void Report_OneErrorAmongWarnings_IsError()
    {
        var report = HealthReport.Of([HealthCheck.Success("a", ""), HealthCheck.Warning("b", ""), HealthCheck.Error("c", "")]);
        Assert.Equal("error", report.Status);
        Assert.Equal("warning", HealthReport.Of([HealthCheck.Success("a", ""), HealthCheck.Warning("b", "")]).Status);
    }

    private static ClusterStatusView View(string partition, bool quorate, params (string Name, string State)[] members) =>
        new("lab", "n1", 1, "n1", quorate, partition, [.. members.Select((m, i) => new ClusterMemberView(m.Name, (uint)i + 1, m.State))], 0, "");

    [Theory]
    [InlineData("primary", true, "success")]
    [InlineData("primary", false, "error")]
    [InlineData("minority", false, "error")]
    [InlineData("joining", true, "warning")]
    public void Cluster_PartitionAndQuorum_GiveTheStatus(string partition, bool quorate, string expected) =>
        Assert.Equal(expected, HealthApi.Cluster(View(partition, quorate)).Status);

    [Fact]
    public void Peers_LostPeerWhoseFenceFailed_IsAnErrorWithTheReason()
    {
        var view = View("primary", true, ("n1", "up")) with
        {
            Members = [new ClusterMemberView("n1", 1, "up"), new ClusterMemberView("n2", 2, "down", "fencing is off; not retried until the fencing rules change")],
        };
        var check = Assert.Single(HealthApi.Peers(view, ["n1", "n2"]));
        Assert.Equal(("peer n2", "error", "down, fence failed: fencing is off; not retried until the fencing rules change"), (check.Name, check.Status, check.Reason));
    }

    [Fact]
    public void Peers_MissingAndUnreachablePeers_AreErrorAndWarning()
    {
        var view = View("primary", true, ("n1", "up"), ("n2", "up"), ("n3", "unreachable"));
        var checks = HealthApi.Peers(view, ["n1", "n2", "n3", "n4"]).ToDictionary(c => c.Name, c => c.Status);
        Assert.Equal(new Dictionary<string, string> { ["peer n2"] = "success", ["peer n3"] = "warning", ["peer n4"] = "error" }, checks);
    }

    [Fact]
    public void Unlisted_RemovedButUncleanIsAnError_NotYetNamedAWarning_FencedForgotten()
    {
        var view = View("primary", true, ("n1", "up"), ("n2", "up"), ("n3", "down"), ("n4", "joining"), ("n5", "fenced"));

        var checks = HealthApi.Unlisted(view, ["n1", "n2"]).ToDictionary(c => c.Name, c => (c.Status, c.Reason));

        Assert.Equal(["peer n3", "peer n4"], checks.Keys.Order());
        Assert.Equal(("error", "removed from the node list while down, never confirmed off: it is fenced before its resources move (with fencing off, they stay until haven fence confirm n3)"),
            checks["peer n3"]);
        Assert.Equal("warning", checks["peer n4"].Status);
        Assert.Empty(HealthApi.Unlisted(view, ["n1", "n2", "n3", "n4", "n5"]));
    }
}

/// <summary>`haven help TOPIC` and `haven completion bash`, which is generated from the real command tree.</summary>
public class HelpVerbTests
{
    [Fact]
    public async Task Help_KnownTopic_PrintsThePage()
    {
        var (code, output, _) = await CliRunner.RunAsync("help", "fencing");
        Assert.Equal(0, code);
        Assert.StartsWith("FENCING", output);
        Assert.Contains("haven fence check", output);
    }

    [Fact]
    public async Task Help_UnknownTopic_IsAUsageErrorListingTheTopics()
    {
        var (code, _, err) = await CliRunner.RunAsync("help", "quorum");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("no help topic 'quorum'", err);
        foreach (var topic in new[] { "split-brain", "fencing", "journal", "heuristics", "events" }) Assert.Contains(topic, err);
    }

    [Fact]
    public async Task Help_EveryTopic_HasAPage()
    {
        foreach (var topic in HelpTopics.Names)
        {
            var (code, output, _) = await CliRunner.RunAsync("help", topic);
            Assert.Equal(0, code);
            Assert.Contains("SEE ALSO", output);
        }
    }

    private static IEnumerable<string> CommandPaths(System.CommandLine.Command command, string path = "")
    {
        foreach (var sub in command.Subcommands)
        {
            var full = path.Length == 0 ? sub.Name : $"{path} {sub.Name}";
            yield return full;
            foreach (var deeper in CommandPaths(sub, full)) yield return deeper;
        }
    }

    [Fact]
    public async Task CompletionBash_EveryVerbOfTheTree_HasItsCase()
    {
        var (code, script, _) = await CliRunner.RunAsync("completion", "bash");
        Assert.Equal(0, code);
        var paths = CommandPaths(HavenCli.Build(new CliContext(TextWriter.Null, TextWriter.Null))).ToList();
        Assert.Contains("health", paths);
        Assert.Contains("cluster status", paths);
        foreach (var path in paths) Assert.Contains($"    \"{path}\") echo ", script);
        Assert.Contains("complete -F _haven haven", script);
    }

    [Fact]
    public async Task CompletionBash_RunByBash_CompletesVerbsSubverbsAndOptions()
    {
        using var dir = new TempDir();
        var (_, script, _) = await CliRunner.RunAsync("completion", "bash");
        File.WriteAllText(dir.File("haven.bash"), script);

        async Task<string[]> Complete(params string[] words)
        {
            var line = string.Join(' ', words.Select(w => $"'{w}'"));
            var probe = $"source '{dir.File("haven.bash")}'; COMP_WORDS=({line}); COMP_CWORD={words.Length - 1}; _haven; printf '%s\\n' \"${{COMPREPLY[@]}}\"";
            using var bash = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", ["-c", probe]) { RedirectStandardOutput = true })!;
            var output = await bash.StandardOutput.ReadToEndAsync();
            await bash.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }

        Assert.Equal(["health", "help"], await Complete("haven", "he"));
        Assert.Equal(["status"], await Complete("haven", "cluster", "st"));
        Assert.Equal(["--json"], await Complete("haven", "health", "--socket", "/tmp/x.sock", "--j"));
        Assert.Equal(["fencing"], await Complete("haven", "help", "fen"));
    }

    [Fact]
    public async Task Completion_UnknownShell_IsAUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("completion", "fish");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("supported: bash", err);
    }

    private static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Actors.sln"))) return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException("the repository root (Actors.sln) is not above the test's directory");
    }

    [Fact]
    public async Task PackagedCompletion_IsWhatTheGeneratorPrints()
    {
        var (_, script, _) = await CliRunner.RunAsync("completion", "bash");
        Assert.True(script == File.ReadAllText(RepoFile("packaging/haven.bash-completion")),
            "packaging/haven.bash-completion is stale; regenerate it with: haven completion bash > packaging/haven.bash-completion");
    }

    [Fact]
    public async Task PackagedHavenConf_PassesConfigCheck()
    {
        using var dir = new TempDir();
        var path = dir.WriteConfig("haven.conf", File.ReadAllText(RepoFile("packaging/etc-haven/haven.conf")));
        var (code, output, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.True(code == 0, err + output);
    }
}
