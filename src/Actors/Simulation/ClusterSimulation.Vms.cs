using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Placement;
using Haven.Actors.Vms;

namespace Haven.Actors.Simulation;

/// <summary>
/// VMs in the simulation: every host gets a <see cref="SimulatedHypervisor"/>; the DC adds the configured
/// VMs (VM-01 upwards, each preferring one node, every other one live-migratable, every fifth one
/// ignoring a graceful shutdown). VM faults — a VM crashes, pauses on I/O errors or resumes, an operator
/// stops, starts or migrates one — come from their own seeded Random, so the cluster faults keep their order.
/// </summary>
public sealed partial class ClusterSimulation
{
    /// <summary>Timeouts short enough for the simulated minutes.</summary>
    public static readonly VmPolicy SimulationVmPolicy = new()
    {
        MonitorInterval = TimeSpan.FromSeconds(1),
        PollInterval = TimeSpan.FromMilliseconds(500),
        StartTimeout = TimeSpan.FromSeconds(5),
        StopTimeout = TimeSpan.FromSeconds(3),
        MigrateTimeout = TimeSpan.FromSeconds(5),
        CallTimeout = TimeSpan.FromSeconds(2),
        MaxRestarts = 3,
        RestartWindow = TimeSpan.FromSeconds(60),
        IoPauseGrace = TimeSpan.FromSeconds(3),
        SyncInterval = TimeSpan.FromSeconds(2),
    };

    private VmLedger _vmLedger = VmLedger.Empty;
    private Random? _vmRandom;
    private ImmutableArray<VmAdded>? _configuredVms;

    private Random VmRandom => _vmRandom ??= new Random(unchecked(_options.Seed * 7_368_787 + 101));

    /// <summary>The configured VMs of this run.</summary>
    internal ImmutableArray<VmAdded> ConfiguredVms => _configuredVms ??= Enumerable.Range(1, _options.Nodes * _options.VmsPerNode)
        .Select(i => new VmAdded(new VmSpec($"VM-{i:00}", SimulatedHypervisor.KindName, $"sim-vm-{i}", Cpu: 1, Memory: 1024,
            Preferences: [new NodePreference($"n{(i - 1) % _options.Nodes + 1}", 100)], AllowMigrate: i % 2 == 0, Priority: i % 3)
            { OnFail = OnFailOf(i), MultipleActive = MultipleActiveOf(i) }))
        .ToImmutableArray();

    /// <summary>With the Pacemaker kind, VMs 3, 4, 6 and 7 of every eight fail their monitor by block, stop, standby and fence.</summary>
    private VmOnFailPolicy OnFailOf(int i) => !Enabled(SimulationFaults.Pacemaker) ? VmOnFailPolicy.Default : (i % 8) switch
    {
        3 => new VmOnFailPolicy(Monitor: VmOnFail.Block),
        4 => new VmOnFailPolicy(Monitor: VmOnFail.Stop),
        6 => new VmOnFailPolicy(Monitor: VmOnFail.Standby),
        7 => new VmOnFailPolicy(Monitor: VmOnFail.Fence),
        _ => VmOnFailPolicy.Default,
    };

    /// <summary>With the Pacemaker kind, VMs 1 and 5 of every eight answer a second copy by stop_only and block (the others stop_start).</summary>
    private VmMultipleActive MultipleActiveOf(int i) => !Enabled(SimulationFaults.Pacemaker) ? VmMultipleActive.StopStart : (i % 8) switch
    {
        1 => VmMultipleActive.StopOnly,
        5 => VmMultipleActive.Block,
        _ => VmMultipleActive.StopStart,
    };

    private static bool Stubborn(string vm) => vm.EndsWith('0') || vm.EndsWith('5');

    private VmServices? VmServicesFor(IHypervisor hypervisor) => _options.VmsPerNode == 0 ? null
        : new VmServices(new Dictionary<string, IHypervisor> { [hypervisor.Kind] = hypervisor })
        {
            Policy = SimulationVmPolicy with { ShutdownLock = _options.ShutdownLock, ShutdownLockLimit = _options.ShutdownLockLimit },
            Configured = ConfiguredVms,
            // every VM fits even when only a majority of the hosts is left
            Capacities = _members.ToImmutableDictionary(m => m.Name, _ => new Capacity(2 * _options.VmsPerNode, long.MaxValue / 4)),
        };

    /// <summary>
    /// A VM that did not converge: the trace ends with the DC's explanation of it (`haven vm explain`), from the first
    /// running host's state and view, so a failing seed shows why the placement engine left it where it is.
    /// </summary>
    private void ExplainUnconvergedVms(IEnumerable<InvariantViolation> problems)
    {
        if (_hosts.FirstOrDefault(h => h.Running && h.LastView is not null)?.LastView is not { } view) return;
        var services = VmServicesFor(new SimulatedHypervisor(this, _hosts[0], _hosts[0].Incarnation));
        if (services is null) return;
        var members = view.Members.Select(m => m.Id).ToList();
        foreach (var vm in view.State.Vms.Keys.Where(n => problems.Any(p => p.Detail.Contains($"VM {n} ", StringComparison.Ordinal))))
            foreach (var line in VmRecovery.Explain(view.State, members, services, vm, _runtime.GetUtcNow()))
                _notes.Add("explain " + line);
        if (_notes.Count > 0) FlushNotes("explain (n" + view.Self.Id + "'s state)");
    }

    // ---- the simulated hypervisors' effects (on an actor's turn) -------------------------------------------

    internal void VmStart(SimulatedHost host, string vm)
    {
        if (host.Domains.GetValueOrDefault(vm)?.State is VmPowerState.Running or VmPowerState.Paused) return;
        host.Domains[vm] = new VmStatus(VmPowerState.Running);
        (_vmLedger, var violation) = _vmLedger.Started(host.Id, vm, _step);
        if (violation is not null) _violations.Add(violation);
        _notes.Add($"n{host.Id} starts {vm}");
    }

    internal void VmShutdown(SimulatedHost host, string vm)
    {
        if (Stubborn(vm) && host.Domains.GetValueOrDefault(vm)?.State == VmPowerState.Running)
        {
            _notes.Add($"{vm} on n{host.Id} ignores the shutdown request");
            return;
        }
        VmStop(host, vm, "shuts down");
    }

    internal void VmStop(SimulatedHost host, string vm, string how)
    {
        if (host.Domains.Remove(vm)) _notes.Add($"n{host.Id} {how} {vm}");
        _vmLedger = _vmLedger.Stopped(host.Id, vm);
    }

    internal void VmMigrate(SimulatedHost host, string vm, string targetNode)
    {
        var target = _hosts.FirstOrDefault(h => h.Member.Name == targetNode)
                     ?? throw new HypervisorException($"{vm}: unknown migration target '{targetNode}'");
        if (!target.Powered || target.Side != host.Side) throw new HypervisorException($"{vm}: {targetNode} cannot be reached from n{host.Id}");
        if (host.Domains.GetValueOrDefault(vm)?.State is not (VmPowerState.Running or VmPowerState.Paused))
            throw new HypervisorException($"{vm} does not run on n{host.Id}");
        host.Domains.Remove(vm);
        target.Domains[vm] = new VmStatus(VmPowerState.Running);
        (_vmLedger, var violation) = _vmLedger.Migrated(host.Id, target.Id, vm, _step);
        if (violation is not null) _violations.Add(violation);
        _notes.Add($"{vm} migrates n{host.Id}→n{target.Id}");
    }

    private void VmPowerOff(SimulatedHost host, bool fenced)
    {
        host.Domains.Clear();
        _vmLedger = _vmLedger.PoweredOff(host.Id, fenced);
    }

    private void VmBoot(SimulatedHost host)
    {
        host.Domains.Clear();
        _vmLedger = _vmLedger.Booted(host.Id);
    }

    private void ResumePausedVms()
    {
        foreach (var host in _hosts)
            foreach (var vm in host.Domains.Where(d => d.Value.State == VmPowerState.Paused).Select(d => d.Key).ToList())
                host.Domains[vm] = new VmStatus(VmPowerState.Running);
    }

    // ---- VM chaos ----------------------------------------------------------------------------------------------

    /// <summary>One step in twenty is a VM fault (when the run has VMs). True when it took the step.</summary>
    private bool VmChaos()
    {
        if (_options.VmsPerNode == 0 || VmRandom.Next(20) != 0) return false;
        var running = _hosts.Where(h => h.Powered).SelectMany(h => h.Domains.Select(d => (Host: h, Vm: d.Key, d.Value.State))).ToList();
        var vms = ConfiguredVms;
        var vm = vms[VmRandom.Next(vms.Length)].Vm.Name;
        var choice = VmRandom.Next(6);
        if (!Enabled(choice < 3 ? SimulationFaults.Vms : SimulationFaults.Operator)) return false;
        switch (choice)
        {
            case 0 when running.Count > 0:
            {
                var (host, name, _) = running[VmRandom.Next(running.Count)];
                Record($"{name} crashes on n{host.Id}", () =>
                {
                    host.Domains[name] = new VmStatus(VmPowerState.Crashed, "guest crashed");
                    _vmLedger = _vmLedger.Stopped(host.Id, name);
                });
                break;
            }
            case 1 when running.Count > 0:
            {
                var (host, name, _) = running[VmRandom.Next(running.Count)];
                Record($"{name} pauses on I/O errors on n{host.Id}", () =>
                {
                    if (host.Domains.GetValueOrDefault(name)?.State == VmPowerState.Running)
                        host.Domains[name] = new VmStatus(VmPowerState.Paused, "I/O error");
                });
                break;
            }
            case 2:
                Record("paused VMs resume", ResumePausedVms);
                break;
            case 3:
                Operator($"operator: vm stop {vm}", new SetVmDesired(vm, VmDesiredState.Stopped));
                break;
            case 4:
                Operator($"operator: vm start {vm}", new SetVmDesired(vm, VmDesiredState.Started));
                break;
            default:
                var node = _members[VmRandom.Next(_members.Length)].Name;
                Operator($"operator: vm migrate {vm} {node}", new MigrateVm(vm, node));
                break;
        }
        return true;
    }

    /// <summary>An operator command to a random primary host's ClusterActor, else any running one (refused ones change nothing).</summary>
    private void Operator(string label, object command)
    {
        var running = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung && h.LastView?.Role == PartitionRole.Primary).ToList();
        if (running.Count == 0) running = _hosts.Where(h => h.Running && h.Cluster is not null && !h.Hung).ToList();
        if (running.Count == 0) return;
        var host = running[VmRandom.Next(running.Count)];
        Record($"{label} (on n{host.Id})", () => host.Cluster!.Tell(command, null));
    }
}
