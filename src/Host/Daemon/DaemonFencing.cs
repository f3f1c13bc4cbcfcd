using Haven.Actors.Cluster;
using Haven.Actors.Fencing;

namespace Haven.Host.Daemon;

/// <summary>
/// The daemon's fencing as the control API sees it: the settings, the devices built from them (none when
/// fencing is off), the fencer the cluster uses, and the history log every fence of this daemon feeds.
/// </summary>
internal sealed record DaemonFencing(FencingSettings Settings, IReadOnlyDictionary<string, IFenceDevice> Devices, IFencer Fencer, FenceHistoryLog History)
{
    public bool Enabled => Settings.Enabled;

    /// <summary>Fencing off: no devices, and the history stays empty.</summary>
    public static DaemonFencing Off(FencingSettings settings, IFencer fencer) =>
        new(settings, new Dictionary<string, IFenceDevice>(), fencer, new FenceHistoryLog());
}
