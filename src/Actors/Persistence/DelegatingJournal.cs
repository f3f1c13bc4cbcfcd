namespace Haven.Actors.Persistence;

/// <summary>A journal that hands every call to another; decorators override what they change.</summary>
public abstract class DelegatingJournal(IJournal inner) : IJournal
{
    protected IJournal Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public virtual Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
        => Inner.WriteAsync(entries, cancellationToken);

    public virtual IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr,
        long max = long.MaxValue, CancellationToken cancellationToken = default)
        => Inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

    public virtual Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
        => Inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public virtual Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
        => Inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

    public virtual IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue,
        CancellationToken cancellationToken = default)
        => Inner.ReadAllAsync(afterOrdering, max, cancellationToken);

    public virtual Task<long> CountAsync(CancellationToken cancellationToken = default) => Inner.CountAsync(cancellationToken);
}
