using System.Collections.Immutable;

namespace Haven.Actors.Cluster;

/// <summary>
/// The cluster-wide settings a host's journal holds, read before its ClusterActor starts (so that the
/// daemon starts its components with them): the journaled cluster stream is replayed as recovery
/// replays it — a <see cref="StreamSnapshot"/> gives the state at its index (the journal may start
/// there), a <see cref="StreamReset"/> drops the records after the point where it diverged — and only
/// the settings events are applied, by the same rules as <see cref="ClusterState"/>.
/// </summary>
public static class ClusterSettingsReplay
{
    /// <param name="journaled">The entries of persistence id "cluster", deserialized, oldest first.</param>
    public static ImmutableDictionary<string, string> Replay(IEnumerable<object> journaled)
    {
        var stream = new List<IClusterEvent>();
        var baseIndex = 0L;
        var state = ClusterState.Empty;
        foreach (var entry in journaled)
        {
            switch (entry)
            {
                case IClusterEvent e:
                    if (e is SettingChanged or SettingReset) stream.Add(e);
                    else stream.Add(NotASetting.Instance);
                    break;
                case StreamSnapshot snapshot:
                    stream.Clear();
                    baseIndex = snapshot.Index;
                    state = ClusterState.FromImage(snapshot.State);
                    break;
                case StreamReset reset:
                    var keep = (int)Math.Clamp(reset.DivergedAt - baseIndex, 0, stream.Count);
                    stream.RemoveRange(keep, stream.Count - keep);
                    break;
            }
        }
        foreach (var e in stream)
            if (e is SettingChanged or SettingReset && state.TryApply(e, out var next, out _))
                state = next;
        return state.Settings;
    }

    // Stands for a record that is not a settings event: only its place in the stream counts (for a reset).
    private sealed record NotASetting : IClusterEvent
    {
        public static readonly NotASetting Instance = new();
    }
}
