namespace Haven.Actors.Persistence;

/// <summary>A thread-safe snapshot store held in memory; same contract as the durable stores.</summary>
public sealed class InMemorySnapshotStore : ISnapshotStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedList<long, SnapshotEntry>> _byId = new(StringComparer.Ordinal);

    public Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckSnapshot(snapshot);
        var stored = snapshot with { Payload = (byte[])snapshot.Payload.Clone() };
        lock (_gate)
        {
            if (!_byId.TryGetValue(snapshot.Metadata.PersistenceId, out var list))
                _byId[snapshot.Metadata.PersistenceId] = list = new SortedList<long, SnapshotEntry>();
            list[snapshot.Metadata.SequenceNr] = stored;
        }
        return Task.CompletedTask;
    }

    public Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        lock (_gate)
        {
            if (!_byId.TryGetValue(persistenceId, out var list)) return Task.FromResult<SnapshotEntry?>(null);
            for (var i = list.Count - 1; i >= 0; i--)
                if (list.Keys[i] <= maxSequenceNr) return Task.FromResult<SnapshotEntry?>(list.Values[i]);
            return Task.FromResult<SnapshotEntry?>(null);
        }
    }

    public Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        lock (_gate)
        {
            if (_byId.TryGetValue(persistenceId, out var list))
                while (list.Count > 0 && list.Keys[0] <= maxSequenceNr) list.RemoveAt(0);
        }
        return Task.CompletedTask;
    }
}
