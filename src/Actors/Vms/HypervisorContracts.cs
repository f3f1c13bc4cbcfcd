using System.Collections.Immutable;

namespace Haven.Actors.Vms;

/// <summary>What a hypervisor reports about one VM on this host.</summary>
public enum VmPowerState
{
    /// <summary>Not defined or not running on this host.</summary>
    Stopped,
    Running,

    /// <summary>Paused (by the operator, or on I/O errors: a storage stall is degraded, not failed).</summary>
    Paused,

    /// <summary>Crashed or failed to run; needs a restart.</summary>
    Crashed,
}

/// <summary>A VM's status on this host; <paramref name="Detail"/> says why (e.g. "paused: I/O error").</summary>
public sealed record VmStatus(VmPowerState State, string Detail = "");

/// <summary>
/// How one hypervisor knows a VM. <paramref name="Config"/> is hypervisor-specific: libvirt's domain XML
/// file, XenServer's VM uuid or name-label, OpenVZ's CTID, the process adapter's command line (argv,
/// never a shell string). <paramref name="Options"/> carries extra hypervisor fields.
/// </summary>
public sealed record VmDefinition(string Name, string Hypervisor, string Config, ImmutableSortedDictionary<string, string>? Options = null);

/// <summary>A hypervisor on this host (libvirt, xen, openvz, process). Every call acts on this host only.</summary>
public interface IHypervisor
{
    /// <summary>The hypervisor's kind as written in configuration: libvirt, xen, openvz or process.</summary>
    string Kind { get; }

    /// <summary>Whether <see cref="MigrateAsync"/> is supported (live migration).</summary>
    bool SupportsLiveMigration { get; }

    Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken);

    /// <summary>Starts the VM; returns once the hypervisor reports it running.</summary>
    Task StartAsync(VmDefinition vm, CancellationToken cancellationToken);

    /// <summary>Asks the guest to shut down (ACPI, SIGTERM); returns at once. Poll <see cref="StatusAsync"/> for Stopped.</summary>
    Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken);

    /// <summary>Forced stop (destroy, SIGKILL); returns once the VM is stopped.</summary>
    Task KillAsync(VmDefinition vm, CancellationToken cancellationToken);

    /// <summary>Live-migrates the running VM to <paramref name="targetNode"/>; on failure it keeps running here.</summary>
    Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken);
}

/// <summary>A hypervisor call failed; the message names the VM and what went wrong.</summary>
public sealed class HypervisorException(string message, Exception? inner = null) : Exception(message, inner);
