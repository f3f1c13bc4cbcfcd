using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// Completes every journal call before returning, so a single-threaded virtual-time run (`haven demo`, the
/// long-history bench) never waits on SQLite's own threads: it trades throughput for a reproducible run.
/// </summary>
public sealed class SynchronousJournal(IJournal inner) : DelegatingJournal(inner)
{
    public override Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        Inner.WriteAsync(entries, cancellationToken).GetAwaiter().GetResult();
        return Task.CompletedTask;
    }

    public override IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max = long.MaxValue,
        CancellationToken cancellationToken = default) =>
        Inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken).ToListAsync(cancellationToken).AsTask().GetAwaiter().GetResult().ToAsyncEnumerable();

    public override Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default) =>
        Task.FromResult(Inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken).GetAwaiter().GetResult());

    public override Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        Inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken).GetAwaiter().GetResult();
        return Task.CompletedTask;
    }
}

/// <summary>The snapshot store counterpart of <see cref="SynchronousJournal"/>.</summary>
public sealed class SynchronousSnapshotStore(ISnapshotStore inner) : ISnapshotStore
{
    public Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        inner.SaveAsync(snapshot, cancellationToken).GetAwaiter().GetResult();
        return Task.CompletedTask;
    }

    public Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue, CancellationToken cancellationToken = default) =>
        Task.FromResult(inner.LoadLatestAsync(persistenceId, maxSequenceNr, cancellationToken).GetAwaiter().GetResult());

    public Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        inner.DeleteToAsync(persistenceId, maxSequenceNr, cancellationToken).GetAwaiter().GetResult();
        return Task.CompletedTask;
    }
}
