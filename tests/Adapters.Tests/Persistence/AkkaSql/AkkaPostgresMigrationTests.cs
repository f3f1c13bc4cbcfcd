using Haven.Actors.Hosts;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.AkkaSql;
using Haven.Adapters.Persistence.Postgres;
using Npgsql;
using static Haven.Adapters.Tests.Persistence.AkkaSql.AkkaSqlHarness;
using H = Haven.Adapters.Tests.Persistence.AkkaSql.AkkaSqlHarness;

namespace Haven.Adapters.Tests.Persistence.AkkaSql;

/// <summary>A PostgreSQL journal shared by two hosts, made by the current release, migrated node by node into Akka.Persistence.Sql.</summary>
[Collection(PostgresCollection.Name)]
public sealed class AkkaPostgresMigrationTests(PostgresServerFixture server)
{
    private static AkkaPersistenceSettings Settings(string connectionString, string node) =>
        new() { Engine = AkkaSqlEngine.PostgreSql, Database = connectionString, Node = node };

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var c = new NpgsqlConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Migrate_SharedJournalOfCurrentRelease_EachNodeReplaysOnlyItsOwnIdenticalInOrder()
    {
        var db = await server.CreateMigratedSchemaAsync();
        var events = new Dictionary<string, IReadOnlyList<object>> { ["n1"] = H.Events("n1", 120), ["Web-2.b"] = H.Events("Web-2.b", 45) };
        foreach (var (node, list) in events)
        {
            var scope = new NodeScope(node);
            await using var journal = new NodeScopedJournal(await PostgresJournal.OpenAsync(db), scope);
            await journal.WriteAsync(Entries("cluster", list.Take(40).ToList()));
            await journal.WriteAsync(Entries($"daemon-{node}", H.Events(node, 2), tags: ["daemon"]));
            await journal.WriteAsync(Entries("cluster", list.Skip(40).ToList(), first: 41));
            await using var snapshots = new NodeScopedSnapshotStore(await PostgresSnapshotStore.OpenAsync(db), scope);
            await snapshots.SaveAsync(Snapshot("cluster", 40, new DaemonStopped(node, "snap")));
        }

        foreach (var (node, list) in events)
        {
            var settings = Settings(db, node);
            using var system = await StartAsync(settings);
            var result = await AkkaJournalMigration.RunAsync(settings);
            Assert.Equal(AkkaMigrationOutcome.Migrated, result.Outcome);
            Assert.Equal((list.Count + 2L, 1L), (result.Events, result.Snapshots));
            // Same bytes and manifests as the node's Haven rows, ids without the node prefix.
            Assert.Equal(0, await ScalarAsync(db, $"SELECT count(*) FROM journal h LEFT JOIN \"akka_{AkkaPersistenceSettings.TableName(node)}_journal\" a ON '{node}/' || a.persistence_id = h.persistence_id " +
                $"AND a.sequence_number = h.sequence_nr AND a.message = h.payload AND a.manifest = h.manifest WHERE h.persistence_id LIKE '{node}/%' AND a.ordering IS NULL"));
            Assert.Equal(2, await ScalarAsync(db, $"SELECT count(*) FROM \"akka_{AkkaPersistenceSettings.TableName(node)}_tags\""));
            var replayed = await ReplayAsync(system, "cluster");
            Assert.Equal(new DaemonStopped(node, "snap"), replayed.Snapshot);
            Assert.Equal(list.Skip(40), replayed.Events);
            Assert.Equal(list.Count, replayed.LastSequenceNr);
            Assert.Equal(H.Events(node, 2), (await ReplayAsync(system, $"daemon-{node}")).Events);
            Assert.Equal(AkkaMigrationOutcome.AlreadyMigrated, (await AkkaJournalMigration.RunAsync(settings)).Outcome);
        }
        Assert.Equal(120 + 2, await ScalarAsync(db, "SELECT count(*) FROM \"akka_n1_journal\""));
        Assert.Equal(45 + 2, await ScalarAsync(db, "SELECT count(*) FROM akka__57eb_2d2_2eb_journal"));
    }

    [Fact]
    public async Task Migrate_NodeTablesHoldRowsWithoutRecord_RefusesAndChangesNothing()
    {
        var db = await server.CreateMigratedSchemaAsync();
        await using (var journal = new NodeScopedJournal(await PostgresJournal.OpenAsync(db), new NodeScope("n1")))
            await journal.WriteAsync(Entries("cluster", H.Events("n1", 3)));
        var settings = Settings(db, "n1");
        using var system = await StartAsync(settings);
        await ReplayAsync(system, "cluster", persistAfter: H.Events("n1", 2));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AkkaJournalMigration.RunAsync(settings));
        Assert.Contains("already hold 2 rows but no migration record", e.Message);
        Assert.Equal(0, await ScalarAsync(db, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'akka_n1_migration'"));
    }

    [Fact]
    public void Settings_NodeNameTooLongForPostgresTables_ClearError()
    {
        var e = Assert.Throws<ArgumentException>(() => AkkaPersistenceConfig.Render(Settings("Host=x", new string('n', 42))));
        Assert.Contains("too long for its PostgreSQL journal tables", e.Message);
        Assert.Contains("at most 41 characters", e.Message);
    }

    [Fact]
    public void TableName_NodeNames_OneToOneLowerCaseSqlNames()
    {
        Assert.Equal("n1", AkkaPersistenceSettings.TableName("n1"));
        Assert.Equal("_57eb_2d2_2eb", AkkaPersistenceSettings.TableName("Web-2.b"));
        Assert.NotEqual(AkkaPersistenceSettings.TableName("a_2d"), AkkaPersistenceSettings.TableName("a-"));
    }
}
