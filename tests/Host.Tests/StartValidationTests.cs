using System.Text.Json;
using Haven.Actors.Configuration;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>
/// One validator (StartValidation) for `haven config check`, the daemon's start and `haven config set`: what one
/// accepts the others accept, and a cluster-wide value a host cannot use is skipped at its start, never fatal.
/// </summary>
public sealed class StartValidationTests
{
    /// <summary>(Re)writes DIR/haven.conf: the test daemon's file (journal, socket and log in DIR) with <paramref name="extra"/> after it.</summary>
    private static string Config(TempDir dir, string extra = "")
    {
        var path = dir.DaemonConfig(node: "solo");
        File.AppendAllText(path, $"\n{extra}\n");
        return path;
    }

    /// <summary>Host-file lines the daemon's start refuses, and the key each problem must name.</summary>
    public static TheoryData<string, string> BadLines => new()
    {
        { "haven.ips.duplicate-probes = 99", "haven.ips.duplicate-probes: 99 is out of range (0..5)" },
        { "haven.ips.duplicate-probes = -1", "haven.ips.duplicate-probes: -1 is out of range (0..5)" },
        { "haven.split-brain-resolver.stable-after = 1000d", "haven.split-brain-resolver.stable-after: 1000d is out of range (0s..1h)" },
        { "haven.heuristics.interval = 30d", "haven.heuristics.interval: 30d is out of range (0s..24d)" },
        { "haven.fencing { enabled = on, devices { p1 { type = pool } }, topology { \"*\" = [[p1]] } }", "haven.fencing.secrets-file: haven.fencing.enabled = on needs haven.fencing.secrets-file" },
        { "haven.alerts { enabled = on, to = [\"ops@example.com\"], smtp-user = u, smtp-password-file = \"/nonexistent/pw\" }", "haven.alerts.smtp-password-file: /nonexistent/pw does not exist" },
        { "haven.alerts { enabled = on }", "haven.alerts.to: alerts are enabled but nobody would receive them" },
        { "haven.control.socket = \"\"", "haven.control.socket: must name the control socket's file, not \"\"" },
        { "haven.journal.sqlite.path = \"\"", "haven.journal.sqlite.path: must name the SQLite journal's file, not \"\"" },
        { "haven.control.socket = \"/tmp\"", "haven.control.socket: /tmp is a directory" },
        { "haven.metrics.listen = \"192.0.2.1:9464\"", "haven.metrics.listen: \"192.0.2.1:9464\" is not a loopback address" },
        { "haven.conntrack { enabled = on, group = [\"192.0.2.10\"] }", "haven.conntrack.group: 192.0.2.10 not in haven.ips.public-addresses" },
        { "haven.vms.hypervisors.xen.xe = \"xe\"", "haven.vms.hypervisors.xen.xe: \"xe\" must be an absolute path" },
        { "haven.events.healthy-after = 0", "haven.events.healthy-after: must be 1 or more" },
    };

    [Theory]
    [MemberData(nameof(BadLines))]
    public async Task ConfigCheckAndDaemonStart_RefuseTheSameFile_NamingTheKey(string line, string problem)
    {
        using var dir = new TempDir();
        var path = Config(dir, line);

        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Contains(problem, err);

        var (start, _, startErr) = await CliRunner.RunAsync("daemon", "--config", path);
        Assert.Equal(1, start);
        Assert.Contains(problem, startErr);
        Assert.EndsWith("; nothing started", startErr.Trim());
        Assert.False(File.Exists(dir.File("journal.db")), "a refused start touches nothing");
    }

    [Fact]
    public async Task ConfigCheck_SecretsFileWithASyntaxError_NamesTheFileAndLineNotTheSecret()
    {
        using var dir = new TempDir();
        var secrets = dir.WriteConfig("secrets.conf", "p1 {\n  password = \"hunter2\" hunter3 = \n");
        var path = Config(dir, $$"""
            haven.fencing { enabled = on, secrets-file = "{{secrets}}", devices { p1 { type = pool } }, topology { "*" = [[p1]] } }
            """);

        var (code, _, err) = await CliRunner.RunAsync("config", "check", path);
        Assert.Equal(1, code);
        Assert.Contains($"haven.fencing.secrets-file: secrets file {secrets} is not valid HOCON at line", err);
        Assert.DoesNotContain("hunter", err);
    }

    [Fact]
    public async Task ConfigSet_AValueTheStartWouldRefuse_RefusedAndNothingJournaled()
    {
        using var dir = new TempDir();
        var config = Config(dir, "haven.fencing { devices { p1 { type = pool } }, topology { \"*\" = [[p1]] } }");
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var socket = dir.File("haven.sock");
        var before = await daemon.State.Journal.CountAsync(CancellationToken.None);

        foreach (var (key, value, reason) in new[]
        {
            ("haven.ips.duplicate-probes", "99", "haven.ips.duplicate-probes: 99 is out of range (0..5)"),
            ("haven.split-brain-resolver.stable-after", "1000d", "haven.split-brain-resolver.stable-after: 1000d is out of range (0s..1h)"),
            ("haven.fencing.enabled", "on", "haven.fencing.enabled: the change contradicts other settings: haven.fencing.secrets-file: haven.fencing.enabled = on needs haven.fencing.secrets-file"),
            ("haven.alerts.enabled", "on", "haven.alerts.enabled: the change contradicts other settings: haven.alerts.to: alerts are enabled but nobody would receive them"),
        })
        {
            var (code, output, err) = await CliRunner.RunAsync("config", "set", key, value, "--socket", socket);
            Assert.True(code == 1, $"{key} = {value} was accepted: {output}");
            Assert.Contains(reason, err);
        }
        Assert.Equal(before, await daemon.State.Journal.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Start_ClusterValueThisHostCannotUse_SkippedWithAWarningInHealth_TheOthersUsed()
    {
        using var dir = new TempDir();
        var secrets = dir.WriteConfig("secrets.conf", "");
        const string Devices = "haven.fencing { devices { p1 { type = pool } }, topology { \"*\" = [[p1]] } }";
        var config = Config(dir, $"{Devices}\nhaven.fencing.secrets-file = \"{secrets}\"");
        var socket = dir.File("haven.sock");
        await using (var first = await RunningDaemon.StartAsync(config))
        {
            await first.WaitForEventAsync("cluster.dc-changed.v1");
            foreach (var (key, value) in new[] { ("haven.fencing.enabled", "on"), ("haven.heuristics.attempts", "4") })
            {
                var (code, _, err) = await CliRunner.RunAsync("config", "set", key, value, "--socket", socket);
                Assert.True(code == 0, err);
            }
        }

        Config(dir, Devices); // this host lost its secrets file: fencing on cannot start here
        await using var again = await RunningDaemon.StartAsync(config);
        await again.WaitForEventAsync("cluster.dc-changed.v1");

        var skipped = Assert.Single(again.State.SkippedSettings);
        Assert.StartsWith("haven.fencing.enabled = on: haven.fencing.secrets-file: haven.fencing.enabled = on needs", skipped);
        Assert.Contains("Starting with 1 cluster-wide settings: haven.heuristics.attempts = 4", File.ReadAllText(dir.File("haven.log")));
        var (_, json, _) = await CliRunner.RunAsync("health", "--json", "--socket", socket);
        var settings = JsonDocument.Parse(json).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "settings");
        Assert.Equal("warning", settings.GetProperty("status").GetString());
        Assert.Contains("haven.fencing.enabled = on", settings.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Start_ClusterWideEventsValue_IsWhatTheEventsRunWithAtTheNextStart()
    {
        using var dir = new TempDir();
        var config = Config(dir);
        await using (var first = await RunningDaemon.StartAsync(config))
        {
            await first.WaitForEventAsync("cluster.dc-changed.v1");
            Assert.Equal(2, first.State.Events!.Settings.HealthyAfter);
            var (code, _, err) = await CliRunner.RunAsync("config", "set", "haven.events.healthy-after", "5", "--socket", dir.File("haven.sock"));
            Assert.True(code == 0, err);
        }

        await using var again = await RunningDaemon.StartAsync(config);
        Assert.Equal(5, again.State.Events!.Settings.HealthyAfter); // read from the cluster-wide value, as config get shows
    }

    [Fact]
    public void Usable_ProblemReportedAtAnotherKey_TheValueWhoseRemovalFixesItIsSkipped()
    {
        var cluster = new Dictionary<string, string>
        {
            ["haven.split-brain-resolver.active-strategy"] = "static-quorum", // needs a quorum size, reported at quorum-size
            ["haven.heuristics.attempts"] = "4",
        };
        var (used, skipped) = ClusterSettingsAtStart.Usable(cluster, Haven.Actors.Configuration.Config.Empty, "solo");
        Assert.Equal(["haven.heuristics.attempts"], used.Keys);
        Assert.StartsWith("haven.split-brain-resolver.active-strategy = static-quorum: ", Assert.Single(skipped));
    }

    [Fact]
    public void Usable_AllUsable_NothingSkipped()
    {
        var cluster = new Dictionary<string, string> { ["haven.heuristics.attempts"] = "4", ["haven.ips.duplicate-probes"] = "0" };
        var (used, skipped) = ClusterSettingsAtStart.Usable(cluster, Haven.Actors.Configuration.Config.Empty, "solo");
        Assert.Equal(2, used.Count);
        Assert.Empty(skipped);
    }
}
