using System.Text;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.Postgres;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>
/// Another host's records under the very ids the contract suites use ("a", "b", "c", "x"), written into
/// the shared store first: a node-scoped view must pass the whole contract as if they were not there.
/// </summary>
internal static class OtherHostsRecords
{
    public static readonly NodeScope Other = new("other-host");
    public static readonly NodeScope Self = new("n1");

    /// <summary>A fresh migrated PostgreSQL schema that already holds another host's records; its connection string.</summary>
    public static async Task<string> SeededPostgresSchemaAsync(PostgresServerFixture server)
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using var journal = new NodeScopedJournal(await PostgresJournal.OpenAsync(connectionString), Other);
        await using var snapshots = new NodeScopedSnapshotStore(await PostgresSnapshotStore.OpenAsync(connectionString), Other);
        await WriteAsync(journal, snapshots);
        return connectionString;
    }

    public static async Task WriteAsync(IJournal journal, ISnapshotStore snapshots)
    {
        foreach (var pid in new[] { "a", "b", "c", "x" })
        {
            await journal.WriteAsync(Enumerable.Range(1, 3)
                .Select(s => new JournalEntry(pid, s, "other.v1", Encoding.UTF8.GetBytes("other"), DateTimeOffset.UnixEpoch, ["t"])).ToList());
            foreach (var seq in new long[] { 5, 10, 30, 100 })
                await snapshots.SaveAsync(new SnapshotEntry(new SnapshotMetadata(pid, seq, DateTimeOffset.UnixEpoch), "other.v1", Encoding.UTF8.GetBytes("other")));
        }
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresNodeScopedJournalContractTests(PostgresServerFixture server) : JournalContractTests
{
    private readonly Lazy<Task<string>> _schema = new(() => OtherHostsRecords.SeededPostgresSchemaAsync(server));

    protected override async Task<IJournal> OpenAsync() =>
        new NodeScopedJournal(await PostgresJournal.OpenAsync(await _schema.Value), OtherHostsRecords.Self);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresNodeScopedSnapshotStoreContractTests(PostgresServerFixture server) : SnapshotStoreContractTests
{
    private readonly Lazy<Task<string>> _schema = new(() => OtherHostsRecords.SeededPostgresSchemaAsync(server));

    protected override async Task<ISnapshotStore> OpenAsync() =>
        new NodeScopedSnapshotStore(await PostgresSnapshotStore.OpenAsync(await _schema.Value), OtherHostsRecords.Self);
}

/// <summary>The same over SQLite, whose SQL for the prefix queries is shared with PostgreSQL.</summary>
public sealed class SqliteNodeScopedJournalContractTests : JournalContractTests
{
    private readonly TempSqliteFile _file = new();
    private bool _seeded;

    protected override async Task<IJournal> OpenAsync()
    {
        var path = await _file.MigratedPathAsync();
        if (!_seeded)
        {
            await using var journal = new NodeScopedJournal(await SqliteJournal.OpenAsync(path), OtherHostsRecords.Other);
            await using var snapshots = new NodeScopedSnapshotStore(await SqliteSnapshotStore.OpenAsync(path), OtherHostsRecords.Other);
            await OtherHostsRecords.WriteAsync(journal, snapshots);
            _seeded = true;
        }
        return new NodeScopedJournal(await SqliteJournal.OpenAsync(path), OtherHostsRecords.Self);
    }

    protected override Task CleanupAsync() { _file.Dispose(); return Task.CompletedTask; }
}
