using Haven.Actors.Vms;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Adapters.Hypervisors;

/// <summary>Where vzctl is and how long its calls may take.</summary>
public sealed record OpenVzOptions
{
    public string Vzctl { get; init; } = "/usr/sbin/vzctl";

    /// <summary>Status and forced stop.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Start and clean stop (vzctl waits for the container's init to finish).</summary>
    public TimeSpan LongCommandTimeout { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// OpenVZ containers through vzctl. <see cref="VmDefinition.Config"/> is the CTID (or container name).
/// Status is <c>vzctl status CTID</c> ("CTID 101 exist mounted running": running → Running, down →
/// Stopped, deleted → Stopped "not defined", suspended → Paused); start <c>vzctl start</c>; shutdown
/// <c>vzctl stop</c> (returns once stopped); kill <c>vzctl stop --fast</c>. No live migration here.
/// </summary>
public sealed class OpenVzHypervisor : IHypervisor
{
    private readonly HypervisorCommand vzctl;
    private readonly HypervisorCommand vzctlLong;
    private readonly ILogger logger;

    public OpenVzHypervisor(OpenVzOptions? options = null, ILogger<OpenVzHypervisor>? logger = null, TimeProvider? time = null)
    {
        options ??= new OpenVzOptions();
        this.logger = logger ?? NullLogger<OpenVzHypervisor>.Instance;
        time ??= TimeProvider.System;
        vzctl = new HypervisorCommand(options.Vzctl, options.CommandTimeout, this.logger, time, "haven.vms.hypervisors.openvz.vzctl");
        vzctlLong = new HypervisorCommand(options.Vzctl, options.LongCommandTimeout, this.logger, time, "haven.vms.hypervisors.openvz.vzctl");
    }

    public string Kind => "openvz";

    public bool SupportsLiveMigration => false;

    public async Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        var result = await vzctl.RunCheckedAsync(vm, ["status", Ctid(vm)], cancellationToken).ConfigureAwait(false);
        var words = result.Output.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3 || words[0] != "CTID")
        {
            throw new HypervisorException($"VM {vm.Name}: cannot read vzctl status output \"{result.Output.Trim()}\"");
        }

        return words switch
        {
            _ when words.Contains("deleted") => new VmStatus(VmPowerState.Stopped, "not defined"),
            _ when words.Contains("suspended") => new VmStatus(VmPowerState.Paused, "suspended"),
            _ when words.Contains("running") => new VmStatus(VmPowerState.Running),
            _ when words.Contains("down") => new VmStatus(VmPowerState.Stopped, words.Contains("mounted") ? "down (mounted)" : "down"),
            _ => throw new HypervisorException($"VM {vm.Name}: cannot read vzctl status output \"{result.Output.Trim()}\""),
        };
    }

    public async Task StartAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        var status = await StatusAsync(vm, cancellationToken).ConfigureAwait(false);
        if (status.State is VmPowerState.Running or VmPowerState.Paused)
        {
            logger.LogDebug("Container of VM {Vm} is already {State}; not starting it again", vm.Name, status.State);
            return;
        }

        await vzctlLong.RunCheckedAsync(vm, ["start", Ctid(vm)], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Started VM {Vm} (vzctl, CTID {Ctid})", vm.Name, Ctid(vm));
    }

    public async Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        if ((await StatusAsync(vm, cancellationToken).ConfigureAwait(false)).State is VmPowerState.Stopped)
        {
            return;
        }

        await vzctlLong.RunCheckedAsync(vm, ["stop", Ctid(vm)], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Stopped VM {Vm} (vzctl, CTID {Ctid})", vm.Name, Ctid(vm));
    }

    public async Task KillAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        if ((await StatusAsync(vm, cancellationToken).ConfigureAwait(false)).State is VmPowerState.Stopped)
        {
            return;
        }

        await vzctl.RunCheckedAsync(vm, ["stop", Ctid(vm), "--fast"], cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Stopped VM {Vm} fast (vzctl, CTID {Ctid})", vm.Name, Ctid(vm));
    }

    public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken) =>
        Task.FromException(new HypervisorException($"VM {vm.Name}: the openvz hypervisor cannot live-migrate (to {targetNode})"));

    private static string Ctid(VmDefinition vm)
    {
        var id = HypervisorCommand.Identifier(vm, "OpenVZ CTID");
        return id.StartsWith('-') || id.Any(char.IsWhiteSpace)
            ? throw new HypervisorException($"VM {vm.Name}: OpenVZ CTID \"{id}\" must not start with '-' or contain spaces")
            : id;
    }
}
