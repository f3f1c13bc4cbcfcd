using Haven.Actors.Vms;
using static Haven.Adapters.Hypervisors.LibvirtNative;

namespace Haven.Adapters.Hypervisors;

/// <summary>Maps libvirt's (virDomainState, reason) pair to a <see cref="VmStatus"/>.</summary>
public static class LibvirtStates
{
    private static readonly string[] PausedReasons =
    [
        "unknown", "user", "migration", "save", "dump", "I/O error", "watchdog", "from snapshot", "shutting down",
        "snapshot", "crashed", "starting up", "post-copy migration", "post-copy migration failed", "API error",
    ];

    private static readonly string[] ShutoffReasons =
    [
        "unknown", "shut down", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot", "daemon",
    ];

    /// <summary>
    /// Running, blocked and "no state" (Xen's unscheduled domain) are Running; being shut down is Running
    /// ("shutting down"); paused and PM-suspended are Paused (detail "paused: REASON", e.g. "paused: I/O
    /// error"), except paused after a crash, which is Crashed; crashed, and shut off because it crashed
    /// or failed, are Crashed; other shut-off reasons are Stopped.
    /// </summary>
    public static VmStatus ToStatus(int state, int reason) => state switch
    {
        StateRunning => new VmStatus(VmPowerState.Running),
        StateBlocked => new VmStatus(VmPowerState.Running, "blocked"),
        StateNoState => new VmStatus(VmPowerState.Running, "no state"),
        StateShutdown => new VmStatus(VmPowerState.Running, "shutting down"),
        StatePaused when reason == 10 => new VmStatus(VmPowerState.Crashed, "paused: crashed"),
        StatePaused => new VmStatus(VmPowerState.Paused, $"paused: {Name(PausedReasons, reason)}"),
        StatePmSuspended => new VmStatus(VmPowerState.Paused, "suspended by guest power management"),
        StateCrashed => new VmStatus(VmPowerState.Crashed, reason == 1 ? "crashed: guest panicked" : "crashed"),
        StateShutoff when reason is 3 or 6 => new VmStatus(VmPowerState.Crashed, $"shut off: {Name(ShutoffReasons, reason)}"),
        StateShutoff => new VmStatus(VmPowerState.Stopped, $"shut off: {Name(ShutoffReasons, reason)}"),
        _ => new VmStatus(VmPowerState.Crashed, $"unknown libvirt state {state} (reason {reason})"),
    };

    private static string Name(string[] names, int reason) =>
        reason >= 0 && reason < names.Length ? names[reason] : $"reason {reason}";
}
