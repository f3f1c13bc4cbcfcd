using Haven.Actors.Vms;

namespace Haven.Actors.Cluster;

/// <summary>
/// Pacemaker's multiple-active in the replicated state. A host that finds a VM running which the state places on another host
/// forces that copy off first — never two copies — and then reports <see cref="VmMultiplyActive"/>. The VM's policy
/// decides about the copy the state knows: stop_start marks it for a restart (<see cref="VmInfo.RestartPending"/>: the DC stops it
/// and places it again; VmStopped and VmFailed clear the mark), stop_only makes it desired stopped (the DC stops it and it stays
/// stopped), block makes it unmanaged where it is (reported, not touched, until `haven vm manage`).
/// </summary>
public sealed partial record ClusterState
{
    private (ClusterState?, string?) MultiplyActive(VmInfo vm, VmMultiplyActive e)
    {
        if (!Nodes.ContainsKey(e.Node)) return (null, $"VM {vm.Name}: {Named(e.Node)} is not known");
        if (vm.Node == e.Node || vm.Target == e.Node)
            return (null, $"VM {vm.Name} is {Lower(vm.State)} on {Named(e.Node)} in the state: a copy there is not a second one");
        if (vm.Node is not { } n) return (null, $"VM {vm.Name} runs nowhere in the state: a copy on {Named(e.Node)} is not a second one");
        var reason = $"multiple-active {VmMultipleActiveNames.Name(vm.Spec.MultipleActive)}: a second copy was found running on {Named(e.Node)} "
                     + $"besides the one on {Named(n)}, and forced off there";
        return vm.Spec.MultipleActive switch
        {
            VmMultipleActive.StopOnly => Put(vm with { Desired = VmDesiredState.Stopped, Reason = reason }),
            VmMultipleActive.Block => Put(vm with { Unmanaged = true, Reason = reason }),
            _ => Put(vm with { RestartPending = vm.State is VmRunState.Starting or VmRunState.Running, Reason = reason }),
        };
    }
}
