using Haven.Actors.Persistence;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Events;

/// <summary>
/// The first start of event delivery on a host. Scripts see what happens from then on, as CTDB's do: when the
/// "event-delivery" stream was never written but the "cluster" stream has history (an older Haven ran, the journal
/// was restored), that history is not replayed. Call <see cref="EnsureCheckpointAsync"/> before the ClusterActor
/// starts: the highest "cluster" sequence number is then exactly what predates this run, and the checkpoint is
/// journaled before anything of this run is, so a crash at any point after it loses no event of this run (the next
/// start finds the checkpoint and delivers from it). An empty "cluster" stream is seeded with 0: everything is delivered.
/// </summary>
public static class EventDeliveryStart
{
    /// <summary>
    /// Journals the starting checkpoint (<see cref="ScriptEventsDelivered"/> at the highest "cluster" sequence number)
    /// when the <see cref="EventDeliveryActor"/> never journaled one, and returns that sequence number; returns null and
    /// changes nothing when a checkpoint exists (delivery goes on from it).
    /// </summary>
    public static async Task<long?> EnsureCheckpointAsync(PersistenceServices persistence, TimeProvider time, ILogger log,
        string clusterPersistenceId = "cluster", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(persistence);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        var journal = persistence.Journal;
        var delivered = await journal.ReadHighestSequenceNrAsync(EventDeliveryActor.CheckpointPersistenceId, cancellationToken);
        if (delivered > 0) return null;

        var history = await journal.ReadHighestSequenceNrAsync(clusterPersistenceId, cancellationToken);
        var (manifest, payload) = persistence.Serializer.Serialize(new ScriptEventsDelivered(history));
        await journal.WriteAsync([new JournalEntry(EventDeliveryActor.CheckpointPersistenceId, 1, manifest, payload, time.GetUtcNow(), [])], cancellationToken);
        if (history > 0)
            log.LogInformation("Event delivery starts after cluster event #{StartAfter}: {Earlier} earlier events predate event delivery on this host and are not replayed",
                history, history);
        else
            log.LogInformation("Event delivery starts with the first cluster event (the journal holds none yet)");
        return history;
    }
}
