using System.Text;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.Postgres;
using Npgsql;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>One PostgreSQL database shared by several hosts: scoped ids, the per-node lock, adoption of old records.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresSharedJournalTests(PostgresServerFixture server)
{
    private static JournalEntry Entry(string pid, long seq, string host) =>
        new(pid, seq, "m.v1", Encoding.UTF8.GetBytes($"{host}#{seq}"), DateTimeOffset.UnixEpoch, []);

    private static SnapshotEntry Snap(string pid, long seq, string host) =>
        new(new SnapshotMetadata(pid, seq, DateTimeOffset.UnixEpoch), "s.v1", Encoding.UTF8.GetBytes($"{host}@{seq}"));

    private static string Text(JournalEntry e) => Encoding.UTF8.GetString(e.Payload);

    private static async Task<List<JournalEntry>> ToListAsync(IAsyncEnumerable<JournalEntry> entries)
    {
        var list = new List<JournalEntry>();
        await foreach (var e in entries) list.Add(e);
        return list;
    }

    private static async Task<NodeScopedJournal> OpenScopedAsync(string connectionString, string node) =>
        new(await PostgresJournal.OpenAsync(connectionString), new NodeScope(node));

    private static async Task<NodeScopedSnapshotStore> OpenScopedSnapshotsAsync(string connectionString, string node) =>
        new(await PostgresSnapshotStore.OpenAsync(connectionString), new NodeScope(node));

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task TwoHosts_WriteClusterOneToNEach_NoConflictAndEachReadsOnlyItsOwn()
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using var n1 = await OpenScopedAsync(connectionString, "n1");
        await using var n2 = await OpenScopedAsync(connectionString, "n2");
        for (var seq = 1; seq <= 5; seq++)
        {
            await n1.WriteAsync([Entry("cluster", seq, "n1")]);
            await n2.WriteAsync([Entry("cluster", seq, "n2"), Entry("event-delivery", seq, "n2")]);
        }

        foreach (var (journal, host, count) in new[] { (n1, "n1", 5), (n2, "n2", 10) })
        {
            var cluster = await ToListAsync(journal.ReadAsync("cluster", 1, long.MaxValue));
            Assert.Equal(["1", "2", "3", "4", "5"], cluster.Select(e => Text(e)[(host.Length + 1)..]));
            Assert.All(cluster, e => Assert.Equal("cluster", e.PersistenceId));
            Assert.All(cluster, e => Assert.StartsWith(host + "#", Text(e)));
            Assert.Equal(5, await journal.ReadHighestSequenceNrAsync("cluster"));
            var all = await ToListAsync(journal.ReadAllAsync(0));
            Assert.Equal(count, all.Count);
            Assert.All(all, e => Assert.StartsWith(host + "#", Text(e)));
            Assert.Equal(count, await journal.CountAsync());
        }
        Assert.Equal(0, await n1.ReadHighestSequenceNrAsync("event-delivery"));

        await using var raw = await PostgresJournal.OpenAsync(connectionString);
        Assert.Equal(15, await raw.CountAsync());
        Assert.Equal(["n1/cluster", "n2/cluster", "n2/event-delivery"],
            (await ToListAsync(raw.ReadAllAsync(0))).Select(e => e.PersistenceId).Distinct().Order(StringComparer.Ordinal));

        await n1.DeleteToAsync("cluster", 5);
        Assert.Equal(0, await n1.CountAsync());
        Assert.Equal(5, await n1.ReadHighestSequenceNrAsync("cluster"));
        Assert.Equal(5, (await ToListAsync(n2.ReadAsync("cluster", 1, long.MaxValue))).Count);
    }

    [Fact]
    public async Task ReadAll_OtherHostWroteInBetween_PagesOverOwnEntriesExactly()
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using var n1 = await OpenScopedAsync(connectionString, "n1");
        await using var n2 = await OpenScopedAsync(connectionString, "n2");
        await n1.WriteAsync([Entry("cluster", 1, "n1"), Entry("cluster", 2, "n1")]);
        await n2.WriteAsync(Enumerable.Range(1, 20).Select(s => Entry("cluster", s, "n2")).ToList());
        await n1.WriteAsync([Entry("cluster", 3, "n1"), Entry("cluster", 4, "n1")]);

        var first = await ToListAsync(n1.ReadAllAsync(0, max: 3));
        Assert.Equal([1L, 2, 3], first.Select(e => e.SequenceNr));
        var rest = await ToListAsync(n1.ReadAllAsync(first[^1].Ordering, max: 3));
        Assert.Equal([4L], rest.Select(e => e.SequenceNr));
        Assert.True(first[2].Ordering - first[1].Ordering > 20, "ordering is the shared position, with the other host's entries in between");
    }

    [Fact]
    public async Task Snapshots_TwoHostsSameId_EachLoadsAndDeletesOnlyItsOwn()
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using var n1 = await OpenScopedSnapshotsAsync(connectionString, "n1");
        await using var n2 = await OpenScopedSnapshotsAsync(connectionString, "n2");
        await n1.SaveAsync(Snap("cluster", 3, "n1"));
        await n2.SaveAsync(Snap("cluster", 3, "n2"));
        await n2.SaveAsync(Snap("cluster", 7, "n2"));

        var own = await n1.LoadLatestAsync("cluster");
        Assert.NotNull(own);
        Assert.Equal("n1@3", Encoding.UTF8.GetString(own.Payload));
        Assert.Equal("cluster", own.Metadata.PersistenceId);
        await n1.DeleteToAsync("cluster", long.MaxValue);
        Assert.Null(await n1.LoadLatestAsync("cluster"));
        Assert.Equal("n2@7", Encoding.UTF8.GetString((await n2.LoadLatestAsync("cluster"))!.Payload));
        Assert.Equal("n2@3", Encoding.UTF8.GetString((await n2.LoadLatestAsync("cluster", 5))!.Payload));
    }

    [Fact]
    public async Task NodeLock_SecondOpenerSameNode_RefusedAtOnceNamingNodeAndDatabase()
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using (var first = await PostgresNodeLock.AcquireAsync(connectionString, "n1"))
        {
            var ex = await Assert.ThrowsAsync<InvalidOperationException>(
                () => PostgresNodeLock.AcquireAsync(connectionString, "n1").WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("daemon named n1", ex.Message);
            Assert.Contains($"127.0.0.1:{server.Port}/postgres", ex.Message);
            Assert.Contains("haven-journal/n1", ex.Message);

            await using var other = await PostgresNodeLock.AcquireAsync(connectionString, "n2");
            Assert.Equal("n2", other.Node);
        }
        await using var again = await PostgresNodeLock.AcquireAsync(connectionString, "n1");
        Assert.Equal("n1", again.Node);
    }

    [Fact]
    public async Task NodeLock_OtherSchemaOfSameDatabase_IsAnotherJournalAndNotBlocked()
    {
        var first = await server.CreateMigratedSchemaAsync();
        var second = await server.CreateMigratedSchemaAsync();
        await using var a = await PostgresNodeLock.AcquireAsync(first, "n1");
        await using var b = await PostgresNodeLock.AcquireAsync(second, "n1");
        await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresNodeLock.AcquireAsync(second, "n1"));
    }

    [Fact]
    public async Task NodeLock_InvalidNodeName_RefusedBeforeConnecting()
    {
        var unreachable = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Port = 1 }.ToString();
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => PostgresNodeLock.AcquireAsync(unreachable, "a/b"));
        Assert.Contains("\"a/b\"", ex.Message);
    }

    /// <summary>
    /// A database as one host left it before scoping: unscoped ids (written through the plain journal),
    /// then the version-2 row removed so it reads as schema version 1.
    /// </summary>
    private async Task<string> LegacyDatabaseAsync(string writer)
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using (var journal = await PostgresJournal.OpenAsync(connectionString))
        await using (var snapshots = await PostgresSnapshotStore.OpenAsync(connectionString))
        {
            await journal.WriteAsync([Entry("cluster", 1, writer), Entry("cluster", 2, writer), Entry("cluster", 3, writer)]);
            await journal.WriteAsync([Entry($"daemon-{writer}", 1, writer)]);
            await journal.DeleteToAsync("cluster", 1);
            await snapshots.SaveAsync(Snap("cluster", 2, writer));
        }
        await ExecuteAsync(connectionString, "DELETE FROM journal_schema_version WHERE version = 2");
        return connectionString;
    }

    [Fact]
    public async Task Adopt_LegacyDatabaseOfThisHost_NeedsMigrationThenHostReadsItsOldRecords()
    {
        var connectionString = await LegacyDatabaseAsync("n1");
        var old = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresJournal.OpenAsync(connectionString));
        Assert.Contains("version 1, this build needs 2", old.Message);

        await PostgresSchema.MigrateAsync(connectionString);
        var adoption = await PostgresUnscopedRecords.AdoptAsync(connectionString, new NodeScope("n1"), "daemon-");
        Assert.Equal(AdoptionOutcome.Adopted, adoption.Outcome);
        Assert.Equal(["cluster", "daemon-n1"], adoption.Ids);

        await using (var n1 = await OpenScopedAsync(connectionString, "n1"))
        await using (var snapshots = await OpenScopedSnapshotsAsync(connectionString, "n1"))
        {
            Assert.Equal([2L, 3], (await ToListAsync(n1.ReadAsync("cluster", 1, long.MaxValue))).Select(e => e.SequenceNr));
            Assert.Equal(3, await n1.ReadHighestSequenceNrAsync("cluster"));
            Assert.Equal(1, await n1.ReadHighestSequenceNrAsync("daemon-n1"));
            Assert.Equal("n1@2", Encoding.UTF8.GetString((await snapshots.LoadLatestAsync("cluster"))!.Payload));
            await n1.WriteAsync([Entry("cluster", 4, "n1")]);
        }
        await using (var raw = await PostgresJournal.OpenAsync(connectionString))
            Assert.All(await ToListAsync(raw.ReadAllAsync(0)), e => Assert.StartsWith("n1/", e.PersistenceId));

        var again = await PostgresUnscopedRecords.AdoptAsync(connectionString, new NodeScope("n1"), "daemon-");
        Assert.Equal(AdoptionOutcome.NothingUnscoped, again.Outcome);
    }

    [Fact]
    public async Task Adopt_LegacyRecordsOfAnotherHost_LeftAloneUntilThatHostComes()
    {
        var connectionString = await LegacyDatabaseAsync("n1");
        await PostgresSchema.MigrateAsync(connectionString);

        var byN2 = await PostgresUnscopedRecords.AdoptAsync(connectionString, new NodeScope("n2"), "daemon-");
        Assert.Equal(AdoptionOutcome.LeftAlone, byN2.Outcome);
        Assert.Contains("written by n1", byN2.Reason);
        await using (var n2 = await OpenScopedAsync(connectionString, "n2"))
        {
            Assert.Equal(0, await n2.CountAsync());
            Assert.Equal(0, await n2.ReadHighestSequenceNrAsync("cluster"));
            await n2.WriteAsync([Entry("cluster", 1, "n2")]);
        }

        var byN1 = await PostgresUnscopedRecords.AdoptAsync(connectionString, new NodeScope("n1"), "daemon-");
        Assert.Equal(AdoptionOutcome.Adopted, byN1.Outcome);
        await using var n1 = await OpenScopedAsync(connectionString, "n1");
        Assert.Equal(3, await n1.ReadHighestSequenceNrAsync("cluster"));
        await using var n2Again = await OpenScopedAsync(connectionString, "n2");
        Assert.Equal(["n2#1"], (await ToListAsync(n2Again.ReadAllAsync(0))).Select(Text));
    }
}
