namespace Haven.Host.Tests;

/// <summary>haven.fencing.watchdog wired into the daemon, with a regular file standing in for /dev/watchdog.</summary>
public class WatchdogDaemonTests
{
    [Fact]
    public async Task Daemon_WithWatchdog_ArmsPetsAndDisarmsWithTheMagicCloseOnStop()
    {
        using var dir = new TempDir();
        var device = dir.File("watchdog");
        File.WriteAllBytes(device, []);
        var config = dir.DaemonConfig();
        File.AppendAllText(config, $$"""

            haven.fencing.watchdog { enabled = on, device = "{{device}}", timeout = 3s, demote-timeout = 1s }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);

        Assert.True(SpinWait.SpinUntil(() => Bytes(device).Contains((byte)'1'), TimeSpan.FromSeconds(15)), "the watchdog was never petted");
        Assert.NotEqual((byte)'V', Bytes(device).LastOrDefault());
        Assert.Equal(0, await daemon.StopAsync());

        Assert.Equal((byte)'V', Bytes(device).Last());
    }

    [Fact]
    public async Task Daemon_WatchdogDeviceMissing_RefusesToStartNamingTheDevice()
    {
        using var dir = new TempDir();
        var device = dir.File("no-such-dir/watchdog");
        var config = dir.DaemonConfig();
        File.AppendAllText(config, $$"""

            haven.fencing.watchdog { enabled = on, device = "{{device}}", timeout = 3s, demote-timeout = 1s }
            """);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => RunningDaemon.StartAsync(config));
        Assert.Contains(device, e.Message);
    }

    private static byte[] Bytes(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
