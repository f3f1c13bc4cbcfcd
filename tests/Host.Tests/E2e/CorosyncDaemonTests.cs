namespace Haven.Host.Tests.E2e;

/// <summary>The daemon with transport = corosync where no corosync runs (the test process's own network namespace).</summary>
public class CorosyncDaemonTests
{
    [Fact]
    public async Task Daemon_CorosyncUnreachable_StaysUpSayingWhyAndRetrying()
    {
        using var dir = new TempDir();
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = unit, node-name = solo, transport = corosync, nodes = [{ name = solo, id = 1 }, { name = other, id = 2 }] }
              journal.sqlite.path = "{{dir.File("journal.db")}}"
              control.socket = "{{dir.File("haven.sock")}}"
              logging { console = off, file.path = "{{dir.File("haven.log")}}" }
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);

        var retries = await E2eCluster.WaitForAsync(
            () => Task.FromResult(E2eCluster.ReadLog(dir.File("haven.log")).Split('\n').Count(l => l.Contains("cannot reach corosync (CS_ERR_LIBRARY): is corosync running?"))),
            n => n >= 2, TimeSpan.FromSeconds(15), "the daemon to log the unreachable corosync twice (it retries)");
        Assert.True(retries >= 2);

        var (code, output, _) = await CliRunner.RunAsync("cluster", "status", "--json", "--socket", dir.File("haven.sock"));
        Assert.Equal(0, code);
        Assert.Contains("\"partition\": \"joining\"", output);

        // Fencing is off in a cluster of two: HA-Lizard's warning, as `haven config check` gives it.
        var (_, health, _) = await CliRunner.RunAsync("health", "--json", "--socket", dir.File("haven.sock"));
        var fencing = System.Text.Json.JsonDocument.Parse(health).RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "fencing");
        Assert.Equal("warning", fencing.GetProperty("status").GetString());
        Assert.Contains("a lost host's addresses and VMs will not move to other hosts", fencing.GetProperty("reason").GetString());
        Assert.Equal(0, await daemon.StopAsync());
    }
}
