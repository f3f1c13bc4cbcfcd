using Haven.Actors.Vms;

namespace Haven.Actors.Simulation;

/// <summary>
/// One incarnation's hypervisor on a simulated host. The domains belong to the host (they outlive a
/// killed Haven process, not a power loss); every change goes through the harness, which records it in
/// the <see cref="VmLedger"/>. A dead incarnation's calls fail.
/// </summary>
internal sealed class SimulatedHypervisor(ClusterSimulation simulation, SimulatedHost host, int incarnation) : IHypervisor
{
    public const string KindName = "process";

    public string Kind => KindName;

    public bool SupportsLiveMigration => true;

    public Task<VmStatus> StatusAsync(VmDefinition vm, CancellationToken cancellationToken)
    {
        Check(vm);
        return Task.FromResult(host.Domains.GetValueOrDefault(vm.Name) ?? new VmStatus(VmPowerState.Stopped));
    }

    public Task StartAsync(VmDefinition vm, CancellationToken cancellationToken) => Do(vm, () => simulation.VmStart(host, vm.Name));

    public Task ShutdownAsync(VmDefinition vm, CancellationToken cancellationToken) => Do(vm, () => simulation.VmShutdown(host, vm.Name));

    public Task KillAsync(VmDefinition vm, CancellationToken cancellationToken) => Do(vm, () => simulation.VmStop(host, vm.Name, "kills"));

    public Task MigrateAsync(VmDefinition vm, string targetNode, CancellationToken cancellationToken) =>
        Do(vm, () => simulation.VmMigrate(host, vm.Name, targetNode));

    private Task Do(VmDefinition vm, Action act)
    {
        try
        {
            Check(vm);
            act();
            return Task.CompletedTask;
        }
        catch (HypervisorException e)
        {
            return Task.FromException(e);
        }
    }

    private void Check(VmDefinition vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        if (!host.IsCurrent(incarnation)) throw new HypervisorException($"n{host.Id}'s Haven process (incarnation {incarnation}) is dead");
    }
}
