using Haven.Actors.Fencing;
using Haven.Actors.Runtime;

namespace Haven.Actors.Tests.Fencing;

/// <summary>The DC side of watchdog self-fencing, on virtual time.</summary>
public sealed class WatchdogFenceDeviceTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);
    private readonly VirtualClock clock = new();

    [Fact]
    public async Task Off_WaitsTimeoutTimesSafetyFactor_ThenReportsAssumedSelfFenced()
    {
        var device = new WatchdogFenceDevice(new WatchdogFenceDeviceSettings("wd", TimeSpan.FromSeconds(10), 2), clock);
        var fence = device.ExecuteAsync("node2", FenceAction.Off, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(19.9));
        Assert.False(fence.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        var outcome = await fence.WaitAsync(Safety);
        Assert.True(outcome.Success);
        Assert.Contains("assumed self-fenced", outcome.Detail, StringComparison.Ordinal);
        Assert.Contains("safe only when every host runs the watchdog", outcome.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reboot_WithSafetyFactor3_Waits30Seconds()
    {
        var device = new WatchdogFenceDevice(new WatchdogFenceDeviceSettings("wd", TimeSpan.FromSeconds(10), 3), clock);
        var fence = device.ExecuteAsync("node2", FenceAction.Reboot, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(fence.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True((await fence.WaitAsync(Safety)).Success);
    }

    [Fact]
    public async Task On_Fails()
    {
        var device = new WatchdogFenceDevice(new WatchdogFenceDeviceSettings("wd", TimeSpan.FromSeconds(10), 2), clock);
        Assert.False((await device.ExecuteAsync("node2", FenceAction.On, CancellationToken.None)).Success);
    }

    [Fact]
    public async Task Off_Cancelled_ThrowsAndReportsNothing()
    {
        var device = new WatchdogFenceDevice(new WatchdogFenceDeviceSettings("wd", TimeSpan.FromSeconds(10), 2), clock);
        using var cancel = new CancellationTokenSource();
        var fence = device.ExecuteAsync("node2", FenceAction.Off, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fence.WaitAsync(Safety));
    }

    [Fact]
    public async Task PowerState_IsUnknown() =>
        Assert.Equal(PowerState.Unknown, await new WatchdogFenceDevice(new WatchdogFenceDeviceSettings("wd", TimeSpan.FromSeconds(1), 2), clock)
            .GetPowerStateAsync("node2", CancellationToken.None));

    [Fact]
    public void Constructor_SafetyFactorBelowOne_Throws() =>
        Assert.Throws<ArgumentException>(() => new WatchdogFenceDevice(new WatchdogFenceDeviceSettings("wd", TimeSpan.FromSeconds(10), 0.5), clock));
}
