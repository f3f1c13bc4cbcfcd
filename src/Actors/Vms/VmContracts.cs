using System.Collections.Immutable;
using Haven.Actors.Membership;
using Haven.Actors.Placement;

namespace Haven.Actors.Vms;

/// <summary>
/// How a host runs its VMs (Pacemaker's op monitor/start/stop timeouts and migration-threshold/failure-timeout).
/// </summary>
public sealed record VmPolicy
{
    /// <summary>How often a running VM's status is checked.</summary>
    public TimeSpan MonitorInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a start, stop or I/O pause is polled while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A start must reach Running within this.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A graceful stop that has not finished after this is forced (destroy, SIGKILL).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>A live migration that has not finished after this has failed.</summary>
    public TimeSpan MigrateTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>Any other hypervisor call (status, shutdown request, kill) that hangs longer has failed.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Restarts on this host within <see cref="RestartWindow"/> before the host gives up (VmFailed).</summary>
    public int MaxRestarts { get; init; } = 3;

    public TimeSpan RestartWindow { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Failures (hosts giving up on the VM) on one node after which the DC no longer places it there (Pacemaker's
    /// migration-threshold; 1, the default, bans a node at its first failure; 0: never banned for failures).
    /// </summary>
    public int MigrationThreshold { get; init; } = 1;

    /// <summary>After this long without a new failure a node's fail count is forgotten (Pacemaker's failure-timeout; zero: never).</summary>
    public TimeSpan FailureTimeout { get; init; }

    /// <summary>
    /// Pacemaker's shutdown-lock: a host that stops cleanly (SIGTERM) stops its VMs where they are and they stay locked to it
    /// (not started elsewhere) until it is back or <see cref="ShutdownLockLimit"/> passes; false: a stop is a loss (fenced, moved).
    /// </summary>
    public bool ShutdownLock { get; init; }

    /// <summary>How long a shutdown-lock holds (Pacemaker's shutdown-lock-limit, measured from the shutdown); zero: until the host is back.</summary>
    public TimeSpan ShutdownLockLimit { get; init; }

    /// <summary>A VM paused on I/O errors is degraded, not failed, for this long (seed 003's filer failovers).</summary>
    public TimeSpan IoPauseGrace { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>How often a host compares its VM actors with the replicated state (besides every applied VM event).</summary>
    public TimeSpan SyncInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Null when usable, else what is wrong.</summary>
    public string? Validate()
    {
        foreach (var (name, value) in new[]
                 {
                     ("monitor-interval", MonitorInterval), ("poll-interval", PollInterval), ("start-timeout", StartTimeout),
                     ("stop-timeout", StopTimeout), ("migrate-timeout", MigrateTimeout), ("call-timeout", CallTimeout),
                     ("restart-window", RestartWindow), ("sync-interval", SyncInterval),
                 })
            if (value <= TimeSpan.Zero) return $"vm {name} must be positive, got {value}";
        if (IoPauseGrace < TimeSpan.Zero) return $"vm io-pause-grace must not be negative, got {IoPauseGrace}";
        if (MaxRestarts < 0) return $"vm max-restarts must not be negative, got {MaxRestarts}";
        if (MigrationThreshold < 0) return $"vm migration-threshold must not be negative, got {MigrationThreshold}";
        if (FailureTimeout < TimeSpan.Zero) return $"vm failure-timeout must not be negative, got {FailureTimeout}";
        if (ShutdownLockLimit < TimeSpan.Zero) return $"vm shutdown-lock-limit must not be negative, got {ShutdownLockLimit}";
        return null;
    }
}

/// <summary>
/// The VM side of one host (an optional member of ClusterDependencies): its hypervisors by kind, how it
/// runs VMs, and — used by whichever host is the DC — placement options, node capacities by node name
/// and VMs declared in configuration (added to the state by the DC when missing).
/// </summary>
public sealed record VmServices(IReadOnlyDictionary<string, IHypervisor> Hypervisors)
{
    public VmPolicy Policy { get; init; } = new();

    public PlacementOptions Placement { get; init; } = PlacementOptions.Default;

    /// <summary>Node capacities by node name; a node not listed has unlimited capacity.</summary>
    public ImmutableDictionary<string, Capacity> Capacities { get; init; } = ImmutableDictionary<string, Capacity>.Empty;

    /// <summary>VMs from configuration: the DC adds each one the state does not know yet.</summary>
    public ImmutableArray<VmAdded> Configured { get; init; } = [];
}

/// <summary>What this host has to do about one VM, given the replicated state.</summary>
public enum VmLocalRole
{
    /// <summary>The VM must not run here (make sure it is off, then forget it).</summary>
    Absent,

    /// <summary>Start it (state Starting here) or keep it running and monitored (Running here).</summary>
    Run,

    /// <summary>Stop it here: graceful, then forced; report VmStopped.</summary>
    Stop,

    /// <summary>Live-migrate it from here to the target; report VmMigrated or VmMigrationFailed.</summary>
    MigrateOut,

    /// <summary>It is being migrated here: leave it alone until the source reports.</summary>
    MigrateIn,
}

public static class VmLocalRoles
{
    /// <summary>This host's role for <paramref name="vm"/> (null: not managed).</summary>
    public static VmLocalRole For(VmInfo? vm, NodeId me)
    {
        if (vm is null) return VmLocalRole.Absent;
        if (vm.State == VmRunState.Migrating)
            return vm.Node == me ? VmLocalRole.MigrateOut : vm.Target == me ? VmLocalRole.MigrateIn : VmLocalRole.Absent;
        if (vm.Node != me) return VmLocalRole.Absent;
        return vm.State switch
        {
            VmRunState.Starting or VmRunState.Running => VmLocalRole.Run,
            VmRunState.Stopping => VmLocalRole.Stop,
            _ => VmLocalRole.Absent,
        };
    }
}

/// <summary>
/// HostActor → VmActor: the VM as the state now has it (null: no longer managed), this host's role,
/// the migration target's node name, and a sequence number the actor echoes in <see cref="VmActorIdle"/>.
/// <paramref name="HostMaintenance"/>: this host is in maintenance (Pacemaker's node maintenance): its VMs are
/// monitored only, never restarted, stopped or started.
/// </summary>
public sealed record VmAssignment(long Seq, VmInfo? Vm, VmLocalRole Role, string TargetName = "", bool HostMaintenance = false);

/// <summary>VmActor → HostActor: the VM is off here and assignment <paramref name="Seq"/> asked for nothing more; it may be stopped.</summary>
public sealed record VmActorIdle(string Vm, long Seq);

/// <summary>VmActor → HostActor → ClusterActor: an outcome to multicast (VmRunning, VmStopped, VmFailed, VmMigrated, VmMigrationFailed).</summary>
public sealed record VmReport(Haven.Actors.Cluster.IClusterEvent Event);
