using Haven.Actors.Configuration;
using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Hypervisors;

/// <summary>Where xe is and how long its calls may take.</summary>
public sealed record XenOptions
{
    public string Xe { get; init; } = "/usr/bin/xe";

    /// <summary>Status, start, forced shutdown.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>xe vm-shutdown waits for the guest to halt, and vm-migrate for the migration to end.</summary>
    public TimeSpan LongCommandTimeout { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// XenServer / XCP-ng VMs through the xe CLI. <see cref="VmDefinition.Config"/> is the VM's uuid or
/// name-label (selected with uuid= or name-label=). Status is <c>xe vm-list … params=power-state
/// --minimal</c> (running, paused, halted, suspended; nothing means the VM is unknown; several values
/// mean the name-label is ambiguous). Start <c>vm-start</c>; shutdown <c>vm-shutdown</c> (xe waits for
/// the guest to halt, up to the long timeout); kill <c>vm-shutdown force=true</c>; live migration
/// <c>vm-migrate host=NODE live=true</c> (NODE is the target's name-label in the pool).
/// </summary>
public sealed class XenHypervisor : IHypervisor
{
    private readonly XenOptions options;
    private readonly HypervisorCommand xe;
    private readonly HypervisorCommand xeLong;
    private readonly ILogger logger;

    public XenHypervisor(XenOptions? options = null, ILogger<XenHypervisor>? logger = null, TimeProvider? time = null)
    {
        this.options = options ?? new XenOptions();
        this.logger = logger ?? NullLogger<XenHypervisor>.Instance;
        time ??= TimeProvider.System;
        xe = new HypervisorCommand(this.options.Xe, this.options.CommandTimeout, this.logger, time, "haven.vms.hypervisors.xen.xe");
        xeLong = new HypervisorCommand(this.options.Xe, this.options.LongCommandTimeout, this.logger, time, "haven.vms.hypervisors.xen.xe");
    }

    public string Kind => "xen";

    public bool SupportsLiveMigration => true;

    public async Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        var result = await xe.RunCheckedAsync(vm, ["vm-list", Select(vm, listing: true), "params=power-state", "--minimal"], cancellationToken).ConfigureAwait(false);
        var states = result.Output.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return states switch
        {
            [] => new VmStatus(VmPowerState.Stopped, "not defined"),
            ["running"] => new VmStatus(VmPowerState.Running),
            ["paused"] => new VmStatus(VmPowerState.Paused, "paused"),
            ["halted"] => new VmStatus(VmPowerState.Stopped, "halted"),
            ["suspended"] => new VmStatus(VmPowerState.Stopped, "suspended"),
            [var other] => throw new HypervisorException($"VM {vm.Name}: xe reports an unknown power state \"{other}\""),
            _ => throw new HypervisorException($"VM {vm.Name}: {states.Length} XenServer VMs match {Select(vm, listing: true)}; use the uuid"),
        };
    }

    public async Task StartAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        var status = await StatusAsync(vm, cancellationToken).ConfigureAwait(false);
        if (status.State is VmPowerState.Running or VmPowerState.Paused)
        {
            logger.LogDebug("VM {Vm} is already {State} in XenServer; not starting it again", vm.Name, status.State);
            return;
        }

        await xe.RunCheckedAsync(vm, ["vm-start", Select(vm)], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Started VM {Vm} (xe)", vm.Name);
    }

    public async Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        if ((await StatusAsync(vm, cancellationToken).ConfigureAwait(false)).State is VmPowerState.Stopped)
        {
            return;
        }

        await xeLong.RunCheckedAsync(vm, ["vm-shutdown", Select(vm)], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Shut down VM {Vm} (xe)", vm.Name);
    }

    public async Task KillAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        if ((await StatusAsync(vm, cancellationToken).ConfigureAwait(false)).State is VmPowerState.Stopped)
        {
            return;
        }

        await xe.RunCheckedAsync(vm, ["vm-shutdown", Select(vm), "force=true"], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Forced VM {Vm} off (xe)", vm.Name);
    }

    public async Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(targetNode) || !ClusterConfig.IsValidNodeName(targetNode))
        {
            throw new HypervisorException($"VM {vm.Name}: cannot migrate to \"{targetNode}\": not a valid node name");
        }

        logger.LogInformation("Live-migrating VM {Vm} to {Node} (xe)", vm.Name, targetNode);
        await xeLong.RunCheckedAsync(vm, ["vm-migrate", Select(vm), $"host={targetNode}", "live=true"], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Live-migrated VM {Vm} to {Node} (xe)", vm.Name, targetNode);
    }

    /// <summary>uuid=… for a uuid; vm=… (name-label=… when listing) for a name-label.</summary>
    private static string Select(VmDefinition vm, bool listing = false)
    {
        var id = HypervisorCommand.Identifier(vm, "XenServer VM uuid or name-label");
        return Guid.TryParse(id, out _) ? $"uuid={id}" : listing ? $"name-label={id}" : $"vm={id}";
    }
}
