namespace Haven.Actors.Cluster;

/// <summary>Operator commands on cluster-wide settings (issue "Operator surface").</summary>
public sealed partial class ClusterActor
{
    /// <summary>Registers the settings commands' handlers (called from the constructor).</summary>
    private void RegisterSettingsHandlers()
    {
    }
}
