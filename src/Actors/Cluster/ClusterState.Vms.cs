namespace Haven.Actors.Cluster;

/// <summary>Managed VMs kept in the replicated state (issue "VMs").</summary>
public sealed partial record ClusterState
{
    /// <summary>The transition for a VM event, or null when the event is not one.</summary>
    private (ClusterState? State, string? Reason)? VmTransition(IClusterEvent clusterEvent) => clusterEvent switch
    {
        _ => null,
    };

    private bool VmsEqual(ClusterState other) => true;
}
