using Haven.Actors.Persistence;

namespace Haven.Host.Daemon;

/// <summary>
/// Wraps the daemon's journal so followers (`haven events --follow`) wake when something was written,
/// instead of polling the store.
/// </summary>
internal sealed class ObservableJournal(IJournal inner) : IJournal
{
    private TaskCompletionSource _written = NewSignal();

    /// <summary>A task that completes at the next successful write after this call.</summary>
    public Task NextWrite => Volatile.Read(ref _written).Task;

    public async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(entries, cancellationToken);
        Interlocked.Exchange(ref _written, NewSignal()).TrySetResult();
    }

    public IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max = long.MaxValue, CancellationToken cancellationToken = default)
        => inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
        => inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
        => inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

    public IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default)
        => inner.ReadAllAsync(afterOrdering, max, cancellationToken);

    public Task<long> CountAsync(CancellationToken cancellationToken = default) => inner.CountAsync(cancellationToken);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
