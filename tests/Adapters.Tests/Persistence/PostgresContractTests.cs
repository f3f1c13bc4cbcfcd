using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Postgres;

namespace Haven.Adapters.Tests.Persistence;

[Collection(PostgresCollection.Name)]
public sealed class PostgresJournalContractTests(PostgresServerFixture server) : JournalContractTests
{
    private string? _connectionString;

    protected override async Task<IJournal> OpenAsync()
    {
        if (_connectionString is null)
        {
            _connectionString = await server.CreateSchemaAsync();
            await PostgresSchema.MigrateAsync(_connectionString);
        }
        return await PostgresJournal.OpenAsync(_connectionString);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSnapshotStoreContractTests(PostgresServerFixture server) : SnapshotStoreContractTests
{
    private string? _connectionString;

    protected override async Task<ISnapshotStore> OpenAsync()
    {
        if (_connectionString is null)
        {
            _connectionString = await server.CreateSchemaAsync();
            await PostgresSchema.MigrateAsync(_connectionString);
        }
        return await PostgresSnapshotStore.OpenAsync(_connectionString);
    }
}
