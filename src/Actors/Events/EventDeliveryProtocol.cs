using Haven.Actors.Cluster;
using Haven.Actors.Persistence;

namespace Haven.Actors.Events;

/// <summary>
/// Published on the actor system's EventStream by the ClusterActor after it journaled and applied a
/// replicated event: the event, its sequence number in the "cluster" stream, and the state before it.
/// The <see cref="EventDeliveryActor"/> treats it as a wake-up (what it delivers it reads from the journal).
/// When a diverged stream is rebuilt (<see cref="StreamReset"/>), the kept records are applied again and published
/// with the reset's sequence number; followers that track sequence numbers ignore them.
/// </summary>
public sealed record ClusterEventApplied(long SequenceNr, ClusterState Before, IClusterEvent Event);

/// <summary>The delivery checkpoint: every script event of the "cluster" stream up to this sequence number ran.</summary>
public sealed record ScriptEventsDelivered(long ClusterSequenceNr);

/// <summary>Ask the <see cref="EventDeliveryActor"/> to run the shutdown event (daemon stop). Reply: <see cref="ShutdownEventRan"/>.</summary>
public sealed record RunShutdownEvent
{
    public static readonly RunShutdownEvent Instance = new();
}

/// <summary>The shutdown event ran (or was refused); nothing is delivered after it.</summary>
public sealed record ShutdownEventRan(EventRunResult Result);

/// <summary>Ask the <see cref="EventDeliveryActor"/> where it stands. Reply: <see cref="DeliveryStatus"/>.</summary>
public sealed record GetDeliveryStatus
{
    public static readonly GetDeliveryStatus Instance = new();
}

/// <summary>The last journaled checkpoint, the last cluster sequence number read, and whether startup ran.</summary>
public sealed record DeliveryStatus(long Checkpoint, long Read, int Pending, bool StartupRan);

/// <summary>The journaled events of the events area under their stable manifests.</summary>
public static class EventManifests
{
    public static EventManifestRegistry Register(EventManifestRegistry registry) => registry
        .Register<ScriptEventsDelivered>("events.delivered.v1");
}
