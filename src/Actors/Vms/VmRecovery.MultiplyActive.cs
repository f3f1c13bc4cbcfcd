using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Vms;

/// <summary>
/// Pacemaker's multiple-active stop_start in the DC's round: a VM whose second copy a host forced off (<see cref="VmInfo.RestartPending"/>)
/// is stopped where the state has it and placed again by the engine (Pacemaker's "stop all, start one": a Restart in place, or a
/// Move). stop_only and block need nothing here: the state made the VM desired stopped or unmanaged.
/// </summary>
public static partial class VmRecovery
{
    private static void RestartMultiplyActive(Plan plan, IReadOnlyCollection<NodeId> view)
    {
        foreach (var vm in plan.State.Vms.Values.ToList())
            if (vm is { RestartPending: true, Unmanaged: false, State: VmRunState.Starting or VmRunState.Running, Node: { } node } && Acts(plan.State, view, node))
                plan.Add(new VmStopping(vm.Name, node, "multiple-active stop_start: a second copy was found elsewhere; stopped to start one copy again"));
    }
}
