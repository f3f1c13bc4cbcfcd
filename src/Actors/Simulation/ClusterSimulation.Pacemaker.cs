using Haven.Actors.Cluster;
using Haven.Actors.Vms;

namespace Haven.Actors.Simulation;

/// <summary>
/// The <see cref="SimulationFaults.Pacemaker"/> kind: operators unmanage, manage and clean up VMs and clear a `vm migrate`'s move preference (the VMs' on-fail
/// values and the run's no-quorum-policy are set where the VMs and the split-brain settings are made). Convergence
/// hands every VM back: an unmanaged VM that the state still puts on a node is stopped first (a blocked VM fails its
/// monitor again as soon as it is managed), then managed.
/// </summary>
public sealed partial class ClusterSimulation
{
    private void VmAdmin()
    {
        if (_options.VmsPerNode == 0)
        {
            DeliverOrWait();
            return;
        }
        var vms = ConfiguredVms;
        var vm = vms[ExtraRandom.Next(vms.Length)].Vm.Name;
        var node = _members[ExtraRandom.Next(_members.Length)].Name;
        var (label, command) = ExtraRandom.Next(5) switch
        {
            0 => ($"operator: vm unmanage {vm}", (object)new SetVmManaged(vm, false)),
            1 => ($"operator: vm manage {vm}", new SetVmManaged(vm, true)),
            2 => ($"operator: vm cleanup {vm}", new CleanupVm(vm)),
            3 => ($"operator: vm clear {vm}", new ClearVmMove(vm)),
            _ => ($"operator: vm cleanup {vm} --node {node}", new CleanupVm(vm, node)),
        };
        Operator(label, command);
    }

    /// <summary>Convergence: every unmanaged VM is managed again (one that the state still places is stopped first).</summary>
    private static void ManageEveryVm(ClusterState state, Action<object> tell)
    {
        foreach (var vm in state.Vms.Values.Where(v => v.Unmanaged))
            tell(vm.Placed && vm.Desired == VmDesiredState.Started ? new SetVmDesired(vm.Name, VmDesiredState.Stopped) : new SetVmManaged(vm.Name, true));
    }
}
