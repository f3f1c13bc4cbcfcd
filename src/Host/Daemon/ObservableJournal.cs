using Haven.Actors.Persistence;

namespace Haven.Host.Daemon;

/// <summary>
/// Wraps the daemon's journal so followers (`haven events --follow`) wake when something was written,
/// instead of polling the store; and remembers why the last write failed (a full disk), until a write succeeds,
/// so that `haven health` reports the journal as an ERROR rather than readable and writable.
/// </summary>
internal sealed class ObservableJournal(IJournal inner) : DelegatingJournal(inner)
{
    private TaskCompletionSource _written = NewSignal();

    /// <summary>A task that completes at the next successful write after this call.</summary>
    public Task NextWrite => Volatile.Read(ref _written).Task;

    /// <summary>
    /// Completes once the journal holds an event with this manifest (already, or after a later write),
    /// woken by each write rather than polling; the token bounds the wait.
    /// </summary>
    public async Task WaitForEventAsync(string manifest, CancellationToken cancellationToken)
    {
        while (true)
        {
            var next = NextWrite; // taken before reading, so no write slips between
            await foreach (var e in ReadAllAsync(0, cancellationToken: cancellationToken))
                if (e.Manifest == manifest) return;
            await next.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Why the last write failed, or null when it succeeded (or nothing was written yet).</summary>
    public string? WriteFailure => Volatile.Read(ref _writeFailure);

    private string? _writeFailure;
    private readonly TaskCompletionSource<string> _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the reason at the first write that failed (storage broken: the actor that wrote it has stopped).</summary>
    public Task<string> WriteFailed => _firstFailure.Task;

    public override async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        try
        {
            await Inner.WriteAsync(entries, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not JournalRejectedException)
        {
            Volatile.Write(ref _writeFailure, e.Message);
            _firstFailure.TrySetResult(e.Message);
            throw;
        }
        Volatile.Write(ref _writeFailure, null);
        Interlocked.Exchange(ref _written, NewSignal()).TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
