namespace Haven.Actors.Cluster;

/// <summary>Cluster-wide settings and HA switches kept in the replicated state (issue "Operator surface").</summary>
public sealed partial record ClusterState
{
    /// <summary>The transition for a settings event, or null when the event is not one.</summary>
    private (ClusterState? State, string? Reason)? SettingsTransition(IClusterEvent clusterEvent) => clusterEvent switch
    {
        _ => null,
    };

    private bool SettingsEqual(ClusterState other) => true;
}
