namespace Haven.Actors.Persistence;

/// <summary>
/// One persisted event as the journal stores it: already serialized, under a stable manifest.
/// <see cref="Ordering"/> is assigned by the journal on write (a global, increasing position across
/// all persistence ids); callers pass 0.
/// </summary>
public sealed record JournalEntry(
    string PersistenceId,
    long SequenceNr,
    string Manifest,
    byte[] Payload,
    DateTimeOffset Timestamp,
    IReadOnlyList<string> Tags,
    long Ordering = 0);

/// <summary>
/// Event journal contract (in the spirit of Akka.Persistence's AsyncWriteJournal). Every
/// implementation passes the one contract suite in tests/.
/// </summary>
public interface IJournal
{
    /// <summary>
    /// Appends a batch atomically: all entries or none. Sequence numbers of one persistence id must
    /// continue exactly from the highest stored one (append with expected version). Throws
    /// <see cref="JournalRejectedException"/> when the journal refuses the batch for its content (the
    /// journal stays usable) and any other exception when storage itself failed.
    /// </summary>
    Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>Entries of one persistence id with fromSequenceNr ≤ seq ≤ toSequenceNr, oldest first, at most max.</summary>
    IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr,
        long max = long.MaxValue, CancellationToken cancellationToken = default);

    /// <summary>Highest sequence number ever written for the id (deletion does not lower it); 0 when none.</summary>
    Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default);

    /// <summary>Deletes every entry of the id up to and including toSequenceNr.</summary>
    Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default);

    /// <summary>Every entry of every persistence id with Ordering &gt; afterOrdering, in Ordering order, at most max.</summary>
    IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue,
        CancellationToken cancellationToken = default);

    /// <summary>How many entries the journal holds now (for status and metrics).</summary>
    Task<long> CountAsync(CancellationToken cancellationToken = default);
}

public sealed record SnapshotMetadata(string PersistenceId, long SequenceNr, DateTimeOffset Timestamp);

public sealed record SnapshotEntry(SnapshotMetadata Metadata, string Manifest, byte[] Payload);

/// <summary>Snapshot store contract: the latest snapshot plus later events recovers an actor.</summary>
public interface ISnapshotStore
{
    /// <summary>Saves a snapshot; saving again at the same (id, seq) replaces it.</summary>
    Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default);

    /// <summary>The snapshot with the highest sequence number ≤ maxSequenceNr, or null.</summary>
    Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue,
        CancellationToken cancellationToken = default);

    /// <summary>Deletes the id's snapshots with sequence number ≤ maxSequenceNr.</summary>
    Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default);
}

/// <summary>The journal refused a batch for its content (for example a sequence gap or duplicate); it stays usable.</summary>
public sealed class JournalRejectedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Recovery could not turn a stored row back into an event or snapshot: unknown manifest or corrupt
/// payload. Names the persistence id and sequence number so an operator can find the row.
/// </summary>
public sealed class RecoveryFailedException(string persistenceId, long sequenceNr, string reason, Exception? inner = null)
    : Exception($"recovery of '{persistenceId}' failed at sequence number {sequenceNr}: {reason}", inner)
{
    public string PersistenceId { get; } = persistenceId;
    public long SequenceNr { get; } = sequenceNr;
}
