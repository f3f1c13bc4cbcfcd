using Haven.Actors.Cluster;
using Haven.Actors.Fencing;

namespace Haven.Host.Daemon;

/// <summary>
/// The daemon's fencing as the control API sees it: the settings, the devices built from them (none when
/// fencing is off), the fencer the cluster uses, and the journaled history every fence of this daemon feeds
/// (<see cref="Record"/> adds to it; <see cref="History"/> holds the last records, also of earlier runs).
/// </summary>
internal sealed record DaemonFencing(FencingSettings Settings, IReadOnlyDictionary<string, IFenceDevice> Devices, IFencer Fencer, FenceHistoryLog History,
    Action<FenceHistoryRecord> Record)
{
    public bool Enabled => Settings.Enabled;

    /// <summary>Fencing off: no devices; the history shows earlier runs' records.</summary>
    public static DaemonFencing Off(FencingSettings settings, IFencer fencer, DurableFenceHistory history) =>
        new(settings, new Dictionary<string, IFenceDevice>(), fencer, history.Log, history.Add);
}
