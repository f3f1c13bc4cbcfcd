namespace Haven.Actors.Persistence;

/// <summary>The run of sequence numbers one persistence id contributes to a batch.</summary>
public readonly record struct JournalBatchRange(string PersistenceId, long FirstSequenceNr, long LastSequenceNr);

/// <summary>
/// Storage-independent rules every journal applies to a batch before writing it (shared by the
/// in-memory, SQLite and PostgreSQL journals so they reject exactly the same things).
/// </summary>
public static class JournalBatch
{
    /// <summary>
    /// Checks the shape of a batch and returns, per persistence id in order of first appearance, the
    /// range it appends. Entries of one id must be consecutive and increasing (other ids may interleave).
    /// Throws <see cref="JournalRejectedException"/> naming the offending entry.
    /// </summary>
    public static IReadOnlyList<JournalBatchRange> Plan(IReadOnlyList<JournalEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var ranges = new List<JournalBatchRange>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            CheckShape(e, i);
            if (index.TryGetValue(e.PersistenceId, out var at))
            {
                var range = ranges[at];
                if (e.SequenceNr != range.LastSequenceNr + 1)
                    throw new JournalRejectedException(
                        $"batch entry {i} of '{e.PersistenceId}' has sequence number {e.SequenceNr}, expected {range.LastSequenceNr + 1} (entries of one id must be consecutive); nothing was written");
                ranges[at] = range with { LastSequenceNr = e.SequenceNr };
            }
            else
            {
                index[e.PersistenceId] = ranges.Count;
                ranges.Add(new JournalBatchRange(e.PersistenceId, e.SequenceNr, e.SequenceNr));
            }
        }
        return ranges;
    }

    /// <summary>Append with expected version: the range must start right after the highest stored number.</summary>
    public static void CheckContinues(JournalBatchRange range, long highestStored)
    {
        if (range.FirstSequenceNr == highestStored + 1) return;
        var what = range.FirstSequenceNr <= highestStored
            ? $"duplicate: sequence number {range.FirstSequenceNr} is already used (highest stored is {highestStored})"
            : $"sequence gap: expected {highestStored + 1}, got {range.FirstSequenceNr}";
        throw new JournalRejectedException(
            $"batch rejected for '{range.PersistenceId}': {what}; nothing was written");
    }

    private static void CheckShape(JournalEntry? e, int i)
    {
        if (e is null)
            throw new JournalRejectedException($"batch entry {i} is null; nothing was written");
        if (string.IsNullOrEmpty(e.PersistenceId))
            throw new JournalRejectedException($"batch entry {i} has an empty persistence id; nothing was written");
        if (e.SequenceNr < 1)
            throw new JournalRejectedException(
                $"batch entry {i} of '{e.PersistenceId}' has sequence number {e.SequenceNr}; sequence numbers start at 1; nothing was written");
        if (string.IsNullOrEmpty(e.Manifest))
            throw new JournalRejectedException(
                $"batch entry {i} ('{e.PersistenceId}' #{e.SequenceNr}) has an empty manifest; nothing was written");
        if (e.Payload is null)
            throw new JournalRejectedException(
                $"batch entry {i} ('{e.PersistenceId}' #{e.SequenceNr}) has no payload; nothing was written");
        if (e.Tags is null || e.Tags.Any(string.IsNullOrEmpty))
            throw new JournalRejectedException(
                $"batch entry {i} ('{e.PersistenceId}' #{e.SequenceNr}) has a null tag list or an empty tag; nothing was written");
    }

    /// <summary>Checks the arguments of a range read; shared so every journal names bad input alike.</summary>
    public static void CheckRead(string persistenceId, long max)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
    }

    /// <summary>Checks a snapshot before saving it.</summary>
    public static void CheckSnapshot(SnapshotEntry snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(snapshot.Metadata, nameof(snapshot.Metadata));
        if (string.IsNullOrEmpty(snapshot.Metadata.PersistenceId))
            throw new ArgumentException("snapshot has an empty persistence id", nameof(snapshot));
        if (snapshot.Metadata.SequenceNr < 0)
            throw new ArgumentException(
                $"snapshot of '{snapshot.Metadata.PersistenceId}' has negative sequence number {snapshot.Metadata.SequenceNr}", nameof(snapshot));
        if (string.IsNullOrEmpty(snapshot.Manifest))
            throw new ArgumentException(
                $"snapshot of '{snapshot.Metadata.PersistenceId}' #{snapshot.Metadata.SequenceNr} has an empty manifest", nameof(snapshot));
        if (snapshot.Payload is null)
            throw new ArgumentException(
                $"snapshot of '{snapshot.Metadata.PersistenceId}' #{snapshot.Metadata.SequenceNr} has no payload", nameof(snapshot));
    }
}
