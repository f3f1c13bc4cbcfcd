using Haven.Actors.Persistence;

namespace Haven.Actors.Tests.Persistence;

/// <summary>Holds every write until the test releases it.</summary>
internal sealed class GatedJournal(IJournal inner) : DelegatingJournal(inner)
{
    private readonly TaskCompletionSource _gate = new();

    public void Release() => _gate.SetResult();

    public override async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        await _gate.Task;
        await Inner.WriteAsync(entries, cancellationToken);
    }
}

/// <summary>Fails writes with the given exception (FailuresLeft times, or always).</summary>
internal sealed class BrokenJournal(IJournal inner, Exception failure) : DelegatingJournal(inner)
{
    public int FailuresLeft { get; set; } = int.MaxValue;

    public override Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        if (FailuresLeft <= 0) return Inner.WriteAsync(entries, cancellationToken);
        FailuresLeft--;
        return Task.FromException(failure);
    }
}

internal abstract class DelegatingJournal(IJournal inner) : IJournal
{
    protected IJournal Inner { get; } = inner;

    public abstract Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default);

    public IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max = long.MaxValue, CancellationToken cancellationToken = default)
        => Inner.ReadAsync(persistenceId, fromSequenceNr, toSequenceNr, max, cancellationToken);

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
        => Inner.ReadHighestSequenceNrAsync(persistenceId, cancellationToken);

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
        => Inner.DeleteToAsync(persistenceId, toSequenceNr, cancellationToken);

    public IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue, CancellationToken cancellationToken = default)
        => Inner.ReadAllAsync(afterOrdering, max, cancellationToken);

    public Task<long> CountAsync(CancellationToken cancellationToken = default) => Inner.CountAsync(cancellationToken);
}
