using Haven.Actors.Vms;
using Haven.Adapters.Hypervisors;

namespace Haven.Adapters.Tests.Hypervisors;

public sealed class LibvirtStatesTests
{
    [Theory]
    [InlineData(1, 1, VmPowerState.Running, "")]
    [InlineData(2, 0, VmPowerState.Running, "blocked")]
    [InlineData(0, 0, VmPowerState.Running, "no state")]
    [InlineData(4, 1, VmPowerState.Running, "shutting down")]
    [InlineData(3, 5, VmPowerState.Paused, "paused: I/O error")]
    [InlineData(3, 1, VmPowerState.Paused, "paused: user")]
    [InlineData(3, 2, VmPowerState.Paused, "paused: migration")]
    [InlineData(3, 99, VmPowerState.Paused, "paused: reason 99")]
    [InlineData(3, 10, VmPowerState.Crashed, "paused: crashed")]
    [InlineData(7, 0, VmPowerState.Paused, "suspended by guest power management")]
    [InlineData(6, 0, VmPowerState.Crashed, "crashed")]
    [InlineData(6, 1, VmPowerState.Crashed, "crashed: guest panicked")]
    [InlineData(5, 1, VmPowerState.Stopped, "shut off: shut down")]
    [InlineData(5, 2, VmPowerState.Stopped, "shut off: destroyed")]
    [InlineData(5, 4, VmPowerState.Stopped, "shut off: migrated")]
    [InlineData(5, 3, VmPowerState.Crashed, "shut off: crashed")]
    [InlineData(5, 6, VmPowerState.Crashed, "shut off: failed")]
    [InlineData(42, 0, VmPowerState.Crashed, "unknown libvirt state 42 (reason 0)")]
    public void ToStatus_StateAndReason_Mapped(int state, int reason, VmPowerState expected, string detail)
    {
        Assert.Equal(new VmStatus(expected, detail), LibvirtStates.ToStatus(state, reason));
    }
}
