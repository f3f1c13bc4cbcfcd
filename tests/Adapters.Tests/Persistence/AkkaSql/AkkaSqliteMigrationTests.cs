using Akka.Actor;
using Haven.Actors.Hosts;
using Haven.Adapters.Persistence.AkkaSql;
using Haven.Adapters.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using static Haven.Adapters.Tests.Persistence.AkkaSql.AkkaSqlHarness;
using H = Haven.Adapters.Tests.Persistence.AkkaSql.AkkaSqlHarness;

namespace Haven.Adapters.Tests.Persistence.AkkaSql;

/// <summary>A SQLite journal made by the current release, migrated into Akka.Persistence.Sql and replayed by Akka.</summary>
public sealed class AkkaSqliteMigrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("haven-akkasql-").FullName;
    private string DbPath => Path.Combine(_dir, "journal.db");
    private AkkaPersistenceSettings Settings => new() { Engine = AkkaSqlEngine.Sqlite, Database = DbPath, Node = "n1" };

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The current release's journal: 250 events of "cluster" (snapshot at 200), 7 of "daemon-n1", with tags on a few.</summary>
    private async Task<(IReadOnlyList<object> Cluster, IReadOnlyList<object> Daemon)> WriteHavenJournalAsync()
    {
        await SqliteSchema.MigrateAsync(DbPath);
        var cluster = H.Events("n1", 250);
        var daemon = H.Events("n1", 7);
        await using (var journal = await SqliteJournal.OpenAsync(DbPath))
        {
            await journal.WriteAsync(Entries("cluster", cluster.Take(100).ToList()));
            await journal.WriteAsync(Entries("daemon-n1", daemon, tags: ["daemon", "n1"]));
            await journal.WriteAsync(Entries("cluster", cluster.Skip(100).ToList(), first: 101));
        }
        await using (var snapshots = await SqliteSnapshotStore.OpenAsync(DbPath))
            await snapshots.SaveAsync(Snapshot("cluster", 200, new DaemonStarted("n1", 200, "snap", true)));
        return (cluster, daemon);
    }

    private static long Scalar(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Migrate_JournalOfCurrentRelease_ReplaysIdenticalInOrderAndSecondRunDoesNothing()
    {
        var (cluster, daemon) = await WriteHavenJournalAsync();
        AkkaSqliteFile.Prepare(DbPath);
        using var system = await StartAsync(Settings);

        var first = await AkkaJournalMigration.RunAsync(Settings);
        Assert.Equal(AkkaMigrationOutcome.Migrated, first.Outcome);
        Assert.Equal((257L, 1L), (first.Events, first.Snapshots));
        // Payload bytes and manifests are the stored ones, row for row, in Haven's order.
        Assert.Equal(0, Scalar(DbPath, "SELECT count(*) FROM journal h LEFT JOIN akka_journal a ON a.persistence_id = h.persistence_id " +
            "AND a.sequence_number = h.sequence_nr AND a.message = h.payload AND a.manifest = h.manifest AND a.identifier = 739001 WHERE a.ordering IS NULL"));
        Assert.Equal(14, Scalar(DbPath, "SELECT count(*) FROM akka_tags WHERE persistence_id = 'daemon-n1'"));

        var replayedDaemon = await ReplayAsync(system, "daemon-n1");
        Assert.Equal(daemon, replayedDaemon.Events);
        Assert.Equal(7, replayedDaemon.LastSequenceNr);
        var replayedCluster = await ReplayAsync(system, "cluster", persistAfter: H.Events("n1", 2));
        Assert.Equal(new DaemonStarted("n1", 200, "snap", true), replayedCluster.Snapshot);
        Assert.Equal(200, replayedCluster.SnapshotSequenceNr);
        Assert.Equal(cluster.Skip(200), replayedCluster.Events);
        Assert.Equal(250, replayedCluster.LastSequenceNr);

        var second = await AkkaJournalMigration.RunAsync(Settings);
        Assert.Equal(AkkaMigrationOutcome.AlreadyMigrated, second.Outcome);
        Assert.Equal(257 + 2, Scalar(DbPath, "SELECT count(*) FROM akka_journal"));
        var again = await ReplayAsync(system, "cluster");
        Assert.Equal(cluster.Skip(200).Concat(H.Events("n1", 2)), again.Events);
        Assert.Equal(252, again.LastSequenceNr);
    }

    [Fact]
    public async Task Prepare_NewFile_WalWithFullSynchronousBeforeThePluginOpensIt()
    {
        AkkaSqliteFile.Prepare(DbPath);
        Assert.Equal(("wal", 2L), AkkaSqliteFile.Inspect(DbPath));
        using var system = await StartAsync(Settings);
        Assert.Equal(("wal", 2L), AkkaSqliteFile.Inspect(DbPath));
        Assert.Equal(1, Scalar(DbPath, "SELECT count(*) FROM sqlite_master WHERE name = 'akka_journal'"));
    }

    [Fact]
    public async Task Migrate_AllEventsOfAnIdDeleted_AkkaContinuesAfterTheHighestSequenceNr()
    {
        await SqliteSchema.MigrateAsync(DbPath);
        await using (var journal = await SqliteJournal.OpenAsync(DbPath))
        {
            await journal.WriteAsync(Entries("cluster", H.Events("n1", 5)));
            await journal.DeleteToAsync("cluster", 5);
        }
        AkkaSqliteFile.Prepare(DbPath);
        using var system = await StartAsync(Settings);
        var result = await AkkaJournalMigration.RunAsync(Settings);
        Assert.Equal((0L, 1L), (result.Events, result.Tombstones));
        var replayed = await ReplayAsync(system, "cluster", persistAfter: H.Events("n1", 1));
        Assert.Empty(replayed.Events);
        Assert.Equal(5, replayed.LastSequenceNr);
        Assert.Equal(6, (await ReplayAsync(system, "cluster")).LastSequenceNr);
    }

    [Fact]
    public async Task Migrate_AkkaTablesHoldRowsWithoutRecord_RefusesAndChangesNothing()
    {
        await WriteHavenJournalAsync();
        AkkaSqliteFile.Prepare(DbPath);
        using var system = await StartAsync(Settings);
        await ReplayAsync(system, "other", persistAfter: H.Events("n1", 3));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AkkaJournalMigration.RunAsync(Settings));
        Assert.Contains("already hold 3 rows but no migration record", e.Message);
        Assert.Equal(3, Scalar(DbPath, "SELECT count(*) FROM akka_journal"));
    }

    [Fact]
    public async Task Migrate_HavenJournalWrittenAfterMigration_Refuses()
    {
        await WriteHavenJournalAsync();
        AkkaSqliteFile.Prepare(DbPath);
        using var system = await StartAsync(Settings);
        await AkkaJournalMigration.RunAsync(Settings);
        await using (var journal = await SqliteJournal.OpenAsync(DbPath))
            await journal.WriteAsync(Entries("cluster", H.Events("n1", 1), first: 251));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AkkaJournalMigration.RunAsync(Settings));
        Assert.Contains("gained events (ordering 258..258) after it was migrated", e.Message);
    }

    [Fact]
    public async Task Migrate_ForeignJournalTable_RefusesNamingTheColumns()
    {
        using (var c = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE journal (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO journal (body) VALUES ('x')";
            cmd.ExecuteNonQuery();
        }
        AkkaSqliteFile.Prepare(DbPath);
        using var system = await StartAsync(Settings);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => AkkaJournalMigration.RunAsync(Settings));
        Assert.Contains("its journal table is not Haven's (columns body, id; missing ordering", e.Message);
        // The refusal rolled back everything, even the migration record's table.
        Assert.Equal(0, Scalar(DbPath, "SELECT count(*) FROM sqlite_master WHERE name = 'akka_migration'"));
    }

    [Fact]
    public async Task Migrate_NoHavenJournal_NothingToMigrateThenAlreadyMigrated()
    {
        AkkaSqliteFile.Prepare(DbPath);
        using var system = await StartAsync(Settings);
        Assert.Equal(AkkaMigrationOutcome.NothingToMigrate, (await AkkaJournalMigration.RunAsync(Settings)).Outcome);
        Assert.Equal(AkkaMigrationOutcome.AlreadyMigrated, (await AkkaJournalMigration.RunAsync(Settings)).Outcome);
    }
}
