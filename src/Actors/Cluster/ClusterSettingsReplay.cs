using System.Collections.Immutable;

namespace Haven.Actors.Cluster;

/// <summary>
/// The cluster-wide settings a host's journal holds, read before its ClusterActor starts (so that the
/// daemon starts its components with them): the journaled cluster stream is replayed as recovery
/// replays it — a <see cref="StreamReset"/> drops the records after the point where it diverged —
/// and only the settings events are applied, by the same rules as <see cref="ClusterState"/>.
/// </summary>
public static class ClusterSettingsReplay
{
    /// <param name="journaled">The entries of persistence id "cluster", deserialized, oldest first.</param>
    public static ImmutableDictionary<string, string> Replay(IEnumerable<object> journaled)
    {
        var stream = new List<IClusterEvent>();
        foreach (var entry in journaled)
        {
            switch (entry)
            {
                case IClusterEvent e:
                    stream.Add(e);
                    break;
                case StreamReset reset:
                    var keep = (int)Math.Clamp(reset.DivergedAt, 0, stream.Count);
                    stream.RemoveRange(keep, stream.Count - keep);
                    break;
            }
        }
        var state = ClusterState.Empty;
        foreach (var e in stream)
            if (e is SettingChanged or SettingReset && state.TryApply(e, out var next, out _))
                state = next;
        return state.Settings;
    }
}
