using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Postgres;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>Each test gets its own migrated schema on the throwaway server (reopen reuses it).</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJournalContractTests(PostgresServerFixture server) : JournalContractTests
{
    private readonly Lazy<Task<string>> _schema = new(server.CreateMigratedSchemaAsync);

    protected override async Task<IJournal> OpenAsync() => await PostgresJournal.OpenAsync(await _schema.Value);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSnapshotStoreContractTests(PostgresServerFixture server) : SnapshotStoreContractTests
{
    private readonly Lazy<Task<string>> _schema = new(server.CreateMigratedSchemaAsync);

    protected override async Task<ISnapshotStore> OpenAsync() => await PostgresSnapshotStore.OpenAsync(await _schema.Value);
}
