using System.Text.Json;
using Haven.Host.Daemon;

namespace Haven.Host.Tests;

/// <summary>`haven cluster …` against a daemon running a one-host cluster on the simulated transport.</summary>
public class ClusterVerbTests
{
    private static string Config(TempDir dir, string node = "solo") => dir.WriteConfig("haven.conf", $$"""
        haven {
          cluster { name = lab, node-name = {{node}}, transport = simulated }
          journal.sqlite.path = "{{dir.File("journal.db")}}"
          control.socket = "{{dir.File("haven.sock")}}"
          split-brain-resolver.stable-after = 100ms
          logging.console = off
        }
        """);


    [Fact]
    public async Task ClusterStatus_OneHostCluster_IsPrimaryWithItselfUpAsDc()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        var (code, output, err) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        var status = JsonDocument.Parse(output).RootElement;
        Assert.Equal("lab", status.GetProperty("cluster").GetString());
        Assert.Equal("solo", status.GetProperty("node").GetString());
        Assert.Equal(1u, status.GetProperty("nodeId").GetUInt32());
        Assert.Equal("solo", status.GetProperty("dc").GetString());
        Assert.True(status.GetProperty("quorate").GetBoolean());
        Assert.Equal("primary", status.GetProperty("partition").GetString());
        var member = Assert.Single(status.GetProperty("members").EnumerateArray());
        Assert.Equal("solo", member.GetProperty("name").GetString());
        Assert.Equal(1u, member.GetProperty("id").GetUInt32());
        Assert.Equal("up", member.GetProperty("state").GetString());

        var (tableCode, table, _) = await CliRunner.RunAsync("cluster", "status", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, tableCode);
        Assert.Contains("primary", table);
        Assert.Contains("solo", table);
    }

    [Fact]
    public async Task EventsDigest_SurvivesARestartAndGrowsOnlyByNewEvents()
    {
        using var dir = new TempDir();
        var config = Config(dir);
        string first;
        await using (var daemon = await RunningDaemon.StartAsync(config))
        {
            await daemon.WaitForEventAsync("cluster.dc-changed.v1");
            var (code, output, _) = await CliRunner.RunAsync("events", "--digest", "--socket", dir.File("haven.sock"));
            Assert.Equal(0, code);
            first = output.Trim();
            Assert.Matches("^[0-9]+ [0-9a-f]{64}$", first);
        }
        await using (var again = await RunningDaemon.StartAsync(config))
        {
            var (code, output, _) = await CliRunner.RunAsync("events", "--digest", "--json", "--socket", dir.File("haven.sock"));
            Assert.Equal(0, code);
            var digest = JsonDocument.Parse(output).RootElement;
            var index = long.Parse(first.Split(' ')[0]);
            Assert.True(digest.GetProperty("streamIndex").GetInt64() >= index, "the recovered stream keeps every event");
        }
    }

    [Theory]
    [InlineData("cluster.nodes = [{ name = solo, id = 1 }, { name = other, id = 2 }]", "lists 2 nodes")]
    [InlineData("fencing { enabled = on, devices { p1 { type = pool } }, topology { \"*\" = [[p1]] } }", "secrets-file")]
    public async Task Daemon_ClusterSettingsItCannotHonour_RefusesToStart(string setting, string message)
    {
        using var dir = new TempDir();
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster.node-name = solo
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              logging.console = off
            }
            haven.{{setting}}
            """);
        var (code, _, err) = await CliRunner.RunAsync("daemon", "--config", config);
        Assert.Equal(1, code);
        Assert.Contains(message, err);
        Assert.False(File.Exists(dir.File("haven.sock")));
    }

    [Fact]
    public async Task ClusterStatus_NodeListWithOwnId_ReportsThatId()
    {
        using var dir = new TempDir();
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = solo, nodes = [{ name = solo, id = 7 }] }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              split-brain-resolver.stable-after = 100ms
              logging.console = off
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var (_, json, _) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", dir.File("haven.sock"));
        Assert.Equal(7u, JsonDocument.Parse(json).RootElement.GetProperty("nodeId").GetUInt32());
    }

    [Fact]
    public async Task ClusterDown_UnknownNode_Exits1NamingTheNodes()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var (code, _, err) = await CliRunner.RunAsync("cluster", "down", "ghost", "--socket", dir.File("haven.sock"));
        Assert.Equal(1, code);
        Assert.Contains("unknown node 'ghost'", err);
        Assert.Contains("solo", err);
    }

    [Fact]
    public async Task ClusterDown_WithoutNode_IsAUsageError()
    {
        var (code, _, err) = await CliRunner.RunAsync("cluster", "down");
        Assert.Equal(2, code);
        Assert.Contains("NODE", err);
    }

    [Fact]
    public async Task ClusterLeave_JournalsLeavingThenLeft()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");
        var (code, output, err) = await CliRunner.RunAsync("cluster", "leave", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        Assert.Contains("leaving", output);
        await daemon.WaitForEventAsync("cluster.node-left.v1");
        var (_, json, _) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", dir.File("haven.sock"));
        Assert.Equal("left", JsonDocument.Parse(json).RootElement.GetProperty("members")[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task Leave_Wait_ReturnsOnceTheHostHasLeft()
    {
        using var dir = new TempDir();
        await using var daemon = await RunningDaemon.StartAsync(Config(dir));
        await daemon.WaitForEventAsync("cluster.dc-changed.v1");

        var (code, output, err) = await CliRunner.RunAsync("cluster", "leave", "--wait", "--timeout", "60", "--socket", dir.File("haven.sock"));

        Assert.True(code == 0, err);
        Assert.Contains("has left the cluster", output);
        var (_, json, _) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", dir.File("haven.sock"));
        Assert.Equal("left", JsonDocument.Parse(json).RootElement.GetProperty("members")[0].GetProperty("state").GetString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("86401")]
    public async Task Leave_TimeoutOutOfRange_RefusedBeforeAsking(string timeout)
    {
        var (code, _, err) = await CliRunner.RunAsync("cluster", "leave", "--wait", "--timeout", timeout, "--socket", "/nonexistent/haven.sock");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--timeout must be between 1 and 86400 seconds", err);
    }
}
