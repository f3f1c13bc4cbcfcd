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
