using Haven.Actors.Persistence;

namespace Haven.Host.Daemon;

/// <summary>
/// Wraps the daemon's journal so followers (`haven events --follow`) wake when something was written,
/// instead of polling the store.
/// </summary>
internal sealed class ObservableJournal(IJournal inner) : DelegatingJournal(inner)
{
    private TaskCompletionSource _written = NewSignal();

    /// <summary>A task that completes at the next successful write after this call.</summary>
    public Task NextWrite => Volatile.Read(ref _written).Task;

    public override async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        await Inner.WriteAsync(entries, cancellationToken);
        Interlocked.Exchange(ref _written, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
