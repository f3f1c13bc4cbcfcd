using Haven.Actors.Cluster;

namespace Haven.Actors.Cluster;

/// <summary>A batch of events, each checked against the state the ones before it produce.</summary>
internal sealed class Plan(ClusterState state)
{
    public ClusterState State { get; private set; } = state;
    public List<IClusterEvent> Events { get; } = [];

    /// <summary>Adds <paramref name="e"/> when it applies; false (and nothing added) when the state rejects it.</summary>
    public bool Add(IClusterEvent e)
    {
        if (!State.TryApply(e, out var next, out _)) return false;
        State = next;
        Events.Add(e);
        return true;
    }
}
