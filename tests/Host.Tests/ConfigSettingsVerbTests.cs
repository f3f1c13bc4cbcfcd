using System.Text.Json;

namespace Haven.Host.Tests;

/// <summary>`haven config get|set|reset` and `haven ha …` against a running one-host daemon.</summary>
public class ConfigSettingsVerbTests
{
    private static string Config(TempDir dir) => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = solo, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging { console = off, file.path = "{{dir.File("haven.log")}}" }
          fencing.min-hosts = 1
        }
        """);

    private static async Task<(RunningDaemon Daemon, string Socket)> StartAsync(TempDir dir)
    {
        var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        return (daemon, dir.File("haven.sock"));
    }

    private static string AtNextStart(string key) =>
        $"; {key} is read when the daemon starts: it applies on each host at its next start (haven config get marks it \"restart needed\" until then)";

    private static JsonElement Setting(string json, string key) =>
        JsonDocument.Parse(json).RootElement.GetProperty("settings").EnumerateArray().Single(s => s.GetProperty("key").GetString() == key);

    [Fact]
    public async Task ConfigSet_ThenGet_ShowsTheClusterValueAndItsSource()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;

        var (code, output, err) = await CliRunner.RunAsync("config", "set", "haven.heuristics.attempts", "4", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.Equal("haven.heuristics.attempts = 4 cluster-wide" + AtNextStart("haven.heuristics.attempts"), output.Trim());

        var (getCode, json, getErr) = await CliRunner.RunAsync("config", "get", "haven.heuristics.attempts", "--json", "--socket", socket);
        Assert.True(getCode == 0, getErr);
        var setting = Setting(json, "haven.heuristics.attempts");
        Assert.Equal("4", setting.GetProperty("value").GetString());
        Assert.Equal("cluster", setting.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, setting.GetProperty("origin").ValueKind);
        Assert.Equal("start", setting.GetProperty("applies").GetString());
        Assert.Equal("2", setting.GetProperty("running").GetString()); // read at start: the daemon still runs with the default

        var (_, table, _) = await CliRunner.RunAsync("config", "get", "haven.heuristics.attempts", "--socket", socket);
        Assert.Matches(@"haven\.heuristics\.attempts\s+4\s+cluster\s+RESTART NEEDED \(runs 2\)", table);
    }

    [Fact]
    public async Task ConfigGet_SectionAndAll_ShowDefaultsAndHostFileLines()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;

        var (code, json, err) = await CliRunner.RunAsync("config", "get", "haven.fencing", "--json", "--socket", socket);
        Assert.True(code == 0, err);
        var keys = JsonDocument.Parse(json).RootElement.GetProperty("settings").EnumerateArray().Select(s => s.GetProperty("key").GetString()).ToList();
        Assert.All(keys, k => Assert.StartsWith("haven.fencing.", k));
        Assert.Contains("haven.fencing.devices", keys);
        var minHosts = Setting(json, "haven.fencing.min-hosts");
        Assert.Equal("host", minHosts.GetProperty("source").GetString());
        Assert.Equal($"{dir.File("haven.conf")}:7", minHosts.GetProperty("origin").GetString());
        Assert.Equal("default", Setting(json, "haven.fencing.enabled").GetProperty("source").GetString());

        var (allCode, all, _) = await CliRunner.RunAsync("config", "get", "--socket", socket);
        Assert.Equal(0, allCode);
        Assert.Contains("haven.ha.enabled", all);
        Assert.Contains($"host {dir.File("haven.conf")}:3", all); // haven.cluster.name
    }

    [Fact]
    public async Task ConfigSet_HostOverriddenKey_SaysTheFileStillWinsHere()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;

        var (code, output, _) = await CliRunner.RunAsync("config", "set", "haven.fencing.min-hosts", "2", "--socket", socket);
        Assert.Equal(0, code);
        Assert.Equal($"haven.fencing.min-hosts = 2 cluster-wide; this host's file overrides it ({dir.File("haven.conf")}:7)", output.Trim()); // live: no restart note
        var (_, json, _) = await CliRunner.RunAsync("config", "get", "haven.fencing.min-hosts", "--json", "--socket", socket);
        Assert.Equal("1", Setting(json, "haven.fencing.min-hosts").GetProperty("value").GetString());
    }

    [Theory]
    [InlineData("haven.heuristics.atempts", "3", "haven: unknown key haven.heuristics.atempts; did you mean haven.heuristics.attempts?")]
    [InlineData("haven.heuristics.interval", "soon", "haven: haven.heuristics.interval: expected a duration such as 2s, 500ms or 1 minute, found string \"soon\"")]
    [InlineData("haven.journal.provider", "memory", "haven: haven.journal.provider is a host setting (@scope host in reference.conf): set it in each host's configuration file, not cluster-wide")]
    [InlineData("haven.fencing.devices", "{ sh { type = fence-agent, agent = \"/bin/sh\" } }", "haven: haven.fencing.devices is a host setting (@scope host in reference.conf): set it in each host's configuration file, not cluster-wide")]
    [InlineData("haven.events.scripts-dir", "\"/tmp\"", "haven: haven.events.scripts-dir is a host setting (@scope host in reference.conf): set it in each host's configuration file, not cluster-wide")]
    public async Task ConfigSet_BadInput_ErrorExit1AndNothingJournaled(string key, string value, string error)
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;
        var before = await daemon.State.Journal.CountAsync(CancellationToken.None);

        var (code, output, err) = await CliRunner.RunAsync("config", "set", key, value, "--socket", socket);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal(error, err.Trim());
        Assert.Equal(before, await daemon.State.Journal.CountAsync(CancellationToken.None));
    }

    // Found by ConfigFuzzTests: a key or value with a line break was quoted raw, so the error took several lines.
    [Theory]
    [InlineData("haven.heuristics.interval", "${a\nb}", "haven: haven.heuristics.interval: '${a\\nb}' is not one HOCON value: ")]
    [InlineData("haven.\"a\nb", "3s", "haven: 'haven.\\\"a\\nb' is not a setting path: unterminated quoted key in path 'haven.\\\"a\\nb'")]
    [InlineData("haven.\"logging\n\".level", "3s", "haven: unknown key haven.\"logging\\n\".level")]
    public async Task ConfigSet_LineBreakInKeyOrValue_OneLineErrorWithItEscaped(string key, string value, string error)
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;
        var before = await daemon.State.Journal.CountAsync(CancellationToken.None);

        var (code, _, err) = await CliRunner.RunAsync("config", "set", key, value, "--socket", socket);

        Assert.Equal(1, code);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(error, line);
        Assert.Equal(before, await daemon.State.Journal.CountAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ConfigReset_RemovesTheClusterValue_NotSetIsAnError()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;
        Assert.Equal(0, (await CliRunner.RunAsync("config", "set", "haven.heuristics.interval", "3s", "--socket", socket)).Code);

        var (code, output, err) = await CliRunner.RunAsync("config", "reset", "haven.heuristics.interval", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.Equal("haven.heuristics.interval is no longer set cluster-wide; this host uses 1s (default)" + AtNextStart("haven.heuristics.interval"), output.Trim());
        var (_, json, _) = await CliRunner.RunAsync("config", "get", "haven.heuristics.interval", "--json", "--socket", socket);
        Assert.Equal(JsonValueKind.Null, Setting(json, "haven.heuristics.interval").GetProperty("running").ValueKind); // back to what it runs with

        var (again, _, againErr) = await CliRunner.RunAsync("config", "reset", "haven.heuristics.interval", "--socket", socket);
        Assert.Equal(1, again);
        Assert.Equal("haven: haven.heuristics.interval is not set cluster-wide; there is nothing to reset", againErr.Trim());
    }

    [Fact]
    public async Task ConfigGet_UnknownKey_ErrorExit1()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;
        var (code, _, err) = await CliRunner.RunAsync("config", "get", "haven.hearistics", "--socket", socket);
        Assert.Equal(1, code);
        Assert.Equal("haven: unknown key haven.hearistics; did you mean haven.heuristics?", err.Trim());
    }

    [Fact]
    public async Task Ha_DisableStatusEnable_ReplicatedValueWithItsSource()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using var _ = daemon;

        var (statusCode, status, _) = await CliRunner.RunAsync("ha", "status", "--json", "--socket", socket);
        Assert.Equal(0, statusCode);
        var root = JsonDocument.Parse(status).RootElement;
        Assert.True(root.GetProperty("enabled").GetBoolean());
        Assert.Equal("default", root.GetProperty("setting").GetProperty("source").GetString());
        Assert.Equal("live", root.GetProperty("setting").GetProperty("applies").GetString());

        var (code, output, err) = await CliRunner.RunAsync("ha", "disable", "--socket", socket);
        Assert.True(code == 0, err);
        Assert.Equal("haven.ha.enabled = off cluster-wide", output.Trim());
        var (_, table, _) = await CliRunner.RunAsync("ha", "status", "--socket", socket);
        Assert.Matches(@"ha\s+disabled", table);
        Assert.Matches(@"source\s+cluster", table);
        Assert.Contains("cluster.setting-changed.v1", (await CliRunner.RunAsync("events", "--socket", socket)).Out);

        Assert.Equal(0, (await CliRunner.RunAsync("ha", "enable", "--socket", socket)).Code);
        var (_, again, _) = await CliRunner.RunAsync("ha", "status", "--json", "--socket", socket);
        Assert.True(JsonDocument.Parse(again).RootElement.GetProperty("enabled").GetBoolean());
    }

    [Fact]
    public async Task ClusterWideSettings_ReadFromTheJournalAtTheNextStart()
    {
        using var dir = new TempDir();
        var (daemon, socket) = await StartAsync(dir);
        await using (daemon)
        {
            Assert.Equal(0, (await CliRunner.RunAsync("config", "set", "haven.heuristics.attempts", "4", "--socket", socket)).Code);
            Assert.Equal(0, (await CliRunner.RunAsync("config", "set", "haven.fencing.min-hosts", "2", "--socket", socket)).Code);
        }

        var (again, _) = await StartAsync(dir);
        await using (again)
        {
            var (_, json, _) = await CliRunner.RunAsync("config", "get", "haven.heuristics.attempts", "--json", "--socket", socket);
            Assert.Equal("cluster", Setting(json, "haven.heuristics.attempts").GetProperty("source").GetString());
        }
        var log = File.ReadAllText(dir.File("haven.log"));
        Assert.Contains("Starting with 1 cluster-wide settings: haven.heuristics.attempts = 4", log); // min-hosts: the file wins
    }

    [Fact]
    public async Task ConfigSettingVerbs_NoDaemon_ErrorExit1()
    {
        using var dir = new TempDir();
        var socket = dir.File("absent.sock");
        foreach (var args in new[] { new[] { "config", "get" }, ["config", "set", "haven.ha.enabled", "off"], ["config", "reset", "haven.ha.enabled"], ["ha", "status"], ["ha", "disable"] })
        {
            var (code, _, err) = await CliRunner.RunAsync([.. args, "--socket", socket]);
            Assert.Equal(1, code);
            Assert.Equal($"haven: no haven daemon at {socket}", err.Trim());
        }
    }

    [Fact]
    public async Task ConfigSet_MissingValue_UsageExit2()
    {
        var (code, _, err) = await CliRunner.RunAsync("config", "set", "haven.ha.enabled");
        Assert.Equal(2, code);
        Assert.Contains("VALUE", err);
    }
}
