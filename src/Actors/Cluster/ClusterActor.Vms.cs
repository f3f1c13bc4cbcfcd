namespace Haven.Actors.Cluster;

/// <summary>What the DC decides about VMs and what a host does when a VM event names it (issue "VMs").</summary>
public sealed partial class ClusterActor
{
    /// <summary>Registers the VM commands' handlers (called from the constructor).</summary>
    private void RegisterVmHandlers()
    {
    }

    /// <summary>The DC's VM decisions for this round, appended to the plan after the address recovery.</summary>
    private void RecoverVms(Plan plan)
    {
    }

    /// <summary>This host's side effects of an applied VM event (never during replay).</summary>
    private void VmLocalEffects(ClusterState before, IClusterEvent e)
    {
    }
}
