using Haven.Actors.Cluster;
using Haven.Actors.Hosts;
using Haven.Actors.Persistence;

namespace Haven.Actors;

/// <summary>Every journaled event type of Haven under its stable manifest; one registry for the whole daemon.</summary>
public static class HavenManifests
{
    public static EventManifestRegistry CreateRegistry()
    {
        var registry = new EventManifestRegistry();
        DaemonLifecycleActor.RegisterManifests(registry);
        ClusterManifests.Register(registry);
        Fencing.FenceHistoryManifests.Register(registry);
        return registry;
    }
}
