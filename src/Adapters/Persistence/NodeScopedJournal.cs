using System.Runtime.CompilerServices;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// One host's view of a journal shared by several hosts: every id it writes, reads, counts or deletes is
/// mapped through its <see cref="NodeScope"/> ("cluster" ↔ "NODE/cluster"), and ReadAll and Count see
/// its own entries only (filtered by the store, so paging stays exact). Entries come back under the
/// host's own ids; Ordering stays the shared, increasing position (with gaps where other hosts wrote).
/// </summary>
public sealed class NodeScopedJournal(SqlJournal inner, NodeScope scope) : IJournal, IAsyncDisposable
{
    public NodeScope Scope { get; } = scope ?? throw new ArgumentNullException(nameof(scope));

    public async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var stored = new JournalEntry[entries.Count];
        for (var i = 0; i < stored.Length; i++)
        {
            var e = entries[i];
            // A null entry or empty id is left for the journal's own batch check to reject with its usual message.
            stored[i] = e is null || string.IsNullOrEmpty(e.PersistenceId) ? e! : e with { PersistenceId = Scope.ToStored(e.PersistenceId) };
        }
        try
        {
            await inner.WriteAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        catch (JournalRejectedException ex)
        {
            // The journal quotes ids as 'NODE/id'; the writer knows them as 'id'.
            throw new JournalRejectedException(ex.Message.Replace($"'{Scope.Prefix}", "'", StringComparison.Ordinal), ex);
        }
    }

    public IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr,
        long max = long.MaxValue, CancellationToken cancellationToken = default) =>
        Renamed(inner.ReadAsync(Scope.ToStored(persistenceId), fromSequenceNr, toSequenceNr, max, cancellationToken), persistenceId);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) =>
        inner.ReadHighestSequenceNrAsync(Scope.ToStored(persistenceId), cancellationToken);

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default) =>
        inner.DeleteToAsync(Scope.ToStored(persistenceId), toSequenceNr, cancellationToken);

    public IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue,
        CancellationToken cancellationToken = default) =>
        Renamed(inner.ReadAllWithPrefixAsync(Scope.Prefix, afterOrdering, max, cancellationToken), null);

    public Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        inner.CountWithPrefixAsync(Scope.Prefix, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>The stored entries under the host's own ids (the one asked for, or each entry's own).</summary>
    private async IAsyncEnumerable<JournalEntry> Renamed(IAsyncEnumerable<JournalEntry> stored, string? persistenceId,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var e in stored.WithCancellation(cancellationToken).ConfigureAwait(false))
            yield return e with { PersistenceId = persistenceId ?? Scope.FromStored(e.PersistenceId) };
    }
}

/// <summary>One host's view of a snapshot store shared by several hosts; ids mapped as in <see cref="NodeScopedJournal"/>.</summary>
public sealed class NodeScopedSnapshotStore(SqlSnapshotStore inner, NodeScope scope) : ISnapshotStore, IAsyncDisposable
{
    public NodeScope Scope { get; } = scope ?? throw new ArgumentNullException(nameof(scope));

    public Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckSnapshot(snapshot);
        var stored = snapshot with { Metadata = snapshot.Metadata with { PersistenceId = Scope.ToStored(snapshot.Metadata.PersistenceId) } };
        return inner.SaveAsync(stored, cancellationToken);
    }

    public async Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        var found = await inner.LoadLatestAsync(Scope.ToStored(persistenceId), maxSequenceNr, cancellationToken).ConfigureAwait(false);
        return found is null ? null : found with { Metadata = found.Metadata with { PersistenceId = persistenceId } };
    }

    public Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default) =>
        inner.DeleteToAsync(Scope.ToStored(persistenceId), maxSequenceNr, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
