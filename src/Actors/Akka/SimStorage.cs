using System.Collections.Immutable;
using Akka.Actor;
using Akka.Persistence;
using Akka.Persistence.Journal;
using Akka.Persistence.Snapshot;

namespace Haven.Actors.Akka;

/// <summary>
/// What a simulated host has "on disk": its journal and snapshots, kept in memory by this per-ActorSystem
/// extension. A host crash (stopping its actors) keeps it, as a disk would; <see cref="Clear"/> wipes it when a
/// host slot is reused for the next seed. Every call completes synchronously on the loop (no timer, no hop).
/// </summary>
public sealed class SimStorage : IExtension
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<IPersistentRepresentation>> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SelectedSnapshot>> _snapshots = new(StringComparer.Ordinal);

    public static SimStorage For(ActorSystem system) => system.WithExtension<SimStorage, SimStorageId>();

    public int EventCount(string persistenceId)
    {
        lock (_gate) return _events.TryGetValue(persistenceId, out var list) ? list.Count : 0;
    }

    public void Clear()
    {
        lock (_gate)
        {
            _events.Clear();
            _highest.Clear();
            _snapshots.Clear();
        }
    }

    internal void Append(IPersistentRepresentation @event)
    {
        lock (_gate)
        {
            if (!_events.TryGetValue(@event.PersistenceId, out var list)) _events[@event.PersistenceId] = list = [];
            list.Add(@event);
            _highest[@event.PersistenceId] = Math.Max(Highest(@event.PersistenceId), @event.SequenceNr);
        }
    }

    internal List<IPersistentRepresentation> Read(string persistenceId, long from, long to, long max)
    {
        lock (_gate)
            return _events.TryGetValue(persistenceId, out var list)
                ? list.Where(e => e.SequenceNr >= from && e.SequenceNr <= to).Take((int)Math.Min(max, int.MaxValue)).ToList()
                : [];
    }

    internal long Highest(string persistenceId)
    {
        lock (_gate) return _highest.GetValueOrDefault(persistenceId);
    }

    internal void DeleteTo(string persistenceId, long to)
    {
        lock (_gate)
            if (_events.TryGetValue(persistenceId, out var list)) list.RemoveAll(e => e.SequenceNr <= to);
    }

    internal void Save(SnapshotMetadata metadata, object snapshot)
    {
        lock (_gate)
        {
            if (!_snapshots.TryGetValue(metadata.PersistenceId, out var list)) _snapshots[metadata.PersistenceId] = list = [];
            list.RemoveAll(s => s.Metadata.SequenceNr == metadata.SequenceNr);
            list.Add(new SelectedSnapshot(metadata, snapshot));
        }
    }

    internal SelectedSnapshot? Load(string persistenceId, SnapshotSelectionCriteria criteria)
    {
        lock (_gate)
            return _snapshots.TryGetValue(persistenceId, out var list)
                ? list.Where(s => Matches(s.Metadata, criteria)).MaxBy(s => s.Metadata.SequenceNr)
                : null;
    }

    internal void Delete(string persistenceId, Func<SnapshotMetadata, bool> which)
    {
        lock (_gate)
            if (_snapshots.TryGetValue(persistenceId, out var list)) list.RemoveAll(s => which(s.Metadata));
    }

    internal static bool Matches(SnapshotMetadata m, SnapshotSelectionCriteria c) =>
        m.SequenceNr <= c.MaxSequenceNr && m.SequenceNr >= c.MinSequenceNr && m.Timestamp <= c.MaxTimeStamp &&
        m.Timestamp >= (c.MinTimestamp ?? DateTime.MinValue);

    private sealed class SimStorageId : ExtensionIdProvider<SimStorage>
    {
        public override SimStorage CreateExtension(ExtendedActorSystem system) => new();
    }
}

/// <summary>The journal plugin of a simulated host (<c>haven.sim.journal</c>) over its <see cref="SimStorage"/>.</summary>
public sealed class SimJournal : AsyncWriteJournal
{
    private readonly SimStorage _storage = SimStorage.For(Context.System);

    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages,
        CancellationToken cancellationToken)
    {
        foreach (var write in messages)
            foreach (var @event in (IImmutableList<IPersistentRepresentation>)write.Payload)
                _storage.Append(@event);
        return Task.FromResult<IImmutableList<Exception>>(null!); // null: every write succeeded
    }

    public override Task ReplayMessagesAsync(IActorContext context, string persistenceId, long fromSequenceNr,
        long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        foreach (var @event in _storage.Read(persistenceId, fromSequenceNr, toSequenceNr, max)) recoveryCallback(@event);
        return Task.CompletedTask;
    }

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr,
        CancellationToken cancellationToken) => Task.FromResult(_storage.Highest(persistenceId));

    protected override Task DeleteMessagesToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        _storage.DeleteTo(persistenceId, toSequenceNr);
        return Task.CompletedTask;
    }
}

/// <summary>The snapshot store plugin of a simulated host (<c>haven.sim.snapshot-store</c>) over its <see cref="SimStorage"/>.</summary>
public sealed class SimSnapshotStore : SnapshotStore
{
    private readonly SimStorage _storage = SimStorage.For(Context.System);

    protected override Task<SelectedSnapshot> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria,
        CancellationToken cancellationToken) => Task.FromResult(_storage.Load(persistenceId, criteria)!);

    protected override Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        _storage.Save(metadata, snapshot);
        return Task.CompletedTask;
    }

    protected override Task DeleteAsync(SnapshotMetadata metadata, CancellationToken cancellationToken)
    {
        _storage.Delete(metadata.PersistenceId, m => m.SequenceNr == metadata.SequenceNr);
        return Task.CompletedTask;
    }

    protected override Task DeleteAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        _storage.Delete(persistenceId, m => SimStorage.Matches(m, criteria));
        return Task.CompletedTask;
    }
}
