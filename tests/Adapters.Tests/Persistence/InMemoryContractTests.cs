using Haven.Actors.Persistence;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>The in-memory stores against the contract; "reopen" keeps the same instance.</summary>
public sealed class InMemoryJournalContractTests : JournalContractTests
{
    private readonly InMemoryJournal _journal = new();

    protected override Task<IJournal> OpenAsync() => Task.FromResult<IJournal>(_journal);
}

public sealed class InMemorySnapshotStoreContractTests : SnapshotStoreContractTests
{
    private readonly InMemorySnapshotStore _store = new();

    protected override Task<ISnapshotStore> OpenAsync() => Task.FromResult<ISnapshotStore>(_store);
}
