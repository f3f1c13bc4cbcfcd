using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Postgres;
using Npgsql;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>PostgreSQL specifics beyond the contract: migration, clear errors, writers in separate journals.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresJournalTests(PostgresServerFixture server)
{
    private static JournalEntry Entry(string pid, long seq) => new(pid, seq, "m.v1", [(byte)seq], DateTimeOffset.UnixEpoch, []);

    [Fact]
    public async Task OpenAsync_SchemaNotMigrated_FailsNamingDatabase()
    {
        var connectionString = await server.CreateSchemaAsync();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresJournal.OpenAsync(connectionString));
        Assert.Contains("journal schema missing in 127.0.0.1:", ex.Message);
        Assert.Contains("run the migration", ex.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresSnapshotStore.OpenAsync(connectionString));
    }

    [Fact]
    public async Task OpenAsync_NoServerOnPort_FailsNamingHostAndPort()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Port = 1, Timeout = 3 }.ToString();
        var ex = await Assert.ThrowsAsync<IOException>(() => PostgresJournal.OpenAsync(connectionString));
        Assert.Contains("127.0.0.1:1/postgres", ex.Message);
    }

    [Fact]
    public async Task MigrateAsync_RunTwice_KeepsData()
    {
        var connectionString = await server.CreateSchemaAsync();
        await PostgresSchema.MigrateAsync(connectionString);
        await using (var journal = await PostgresJournal.OpenAsync(connectionString))
            await journal.WriteAsync([Entry("a", 1)]);
        await PostgresSchema.MigrateAsync(connectionString);
        await using (var journal = await PostgresJournal.OpenAsync(connectionString))
            Assert.Equal(1, await journal.CountAsync());
    }

    [Fact]
    public async Task WriteAsync_TwoJournalsRaceOnOneIdAfterDelete_NeverCreateAGapOrDuplicate()
    {
        var connectionString = await server.CreateMigratedSchemaAsync();
        await using var first = await PostgresJournal.OpenAsync(connectionString);
        await using var second = await PostgresJournal.OpenAsync(connectionString);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task<int> Writer(IJournal journal)
        {
            await start.Task;
            var won = 0;
            for (var i = 0; i < 50; i++)
            {
                var next = await journal.ReadHighestSequenceNrAsync("x") + 1;
                try { await journal.WriteAsync([Entry("x", next)]); won++; await journal.DeleteToAsync("x", next); }
                catch (JournalRejectedException) { }
            }
            return won;
        }
        var a = Writer(first);
        var b = Writer(second);
        start.SetResult();
        var wins = await Task.WhenAll(a, b).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(wins.Sum(), await first.ReadHighestSequenceNrAsync("x"));
    }
}
