using System.Text.Json;

namespace Haven.Host.Tests;

/// <summary>haven.ips.extra-addresses-file (vzhaipd's HA_IP_FILE) read by the daemon and allocated by the cluster.</summary>
public class ExtraAddressDaemonTests
{
    [Fact]
    public async Task Daemon_ExtraAddressFile_ItsAddressesAreAllocatedWithTheFilesInterface()
    {
        using var dir = new TempDir();
        var file = dir.File("extra-ips");
        // An interface that does not exist here: the cluster allocates, the host's take fails and is retried (never the real network).
        File.WriteAllText(file, "# extra addresses\n198.51.100.7\nnot-an-address\n198.51.100.8/28\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = dir.DaemonConfig();
        File.AppendAllText(config, $$"""

            haven.ips { extra-addresses-file = "{{file}}", extra-addresses-interface = hvnone0, extra-addresses-mask = 24 }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.takeip.v1");
        await daemon.WaitForEventAsync("cluster.recovered.v1");

        var (code, json, err) = await CliRunner.RunAsync("events", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        var takes = JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("type").GetString() == "cluster.takeip.v1")
            .Select(e => e.GetProperty("fields")).ToList();
        Assert.Equal(["198.51.100.7/24", "198.51.100.8/28"], takes.Select(t => $"{t.GetProperty("ip").GetString()}/{t.GetProperty("mask").GetInt32()}").Order());
        Assert.All(takes, t => Assert.Equal("hvnone0", t.GetProperty("interface").GetString()));
    }

    [Fact]
    public async Task Daemon_ExtraAddressFile_ItsInterfaceIsMonitored()
    {
        using var dir = new TempDir();
        var file = dir.File("extra-ips");
        File.WriteAllText(file, "198.51.100.7\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var config = dir.DaemonConfig();
        // No configured public address: only the file's interface (absent here, so without link) can make the host unhealthy.
        File.AppendAllText(config, $$"""

            haven.ips { extra-addresses-file = "{{file}}", extra-addresses-interface = hvnone0 }
            haven.events.monitor-interval = 200ms
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);
        await daemon.WaitForEventAsync("cluster.node-unhealthy.v1");

        var (code, json, err) = await CliRunner.RunAsync("events", "--json", "--socket", dir.File("haven.sock"));
        Assert.True(code == 0, err);
        var unhealthy = JsonDocument.Parse(json).RootElement.EnumerateArray()
            .First(e => e.GetProperty("type").GetString() == "cluster.node-unhealthy.v1").GetProperty("fields");
        Assert.Contains("hvnone0", unhealthy.GetProperty("reason").GetString());
    }
}
