using System.Text;
using Haven.Actors.Configuration;
using Haven.Actors.Persistence;
using Haven.Adapters.Tests.Persistence;
using Haven.Host.Daemon;
using Haven.Adapters.Persistence.Postgres;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Haven.Host.Tests;

/// <summary>The daemon's PostgreSQL journal as hosts share it: scoped records, one daemon per node name.</summary>
[Collection(PostgresCollection.Name)]
public sealed class JournalFactoryPostgresTests(PostgresServerFixture server)
{
    /// <summary>A fresh schema (not migrated: the factory migrates), with a password the errors must not show.</summary>
    private async Task<JournalSettings> SettingsAsync()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await server.CreateSchemaAsync()) { Password = "s3cret" }.ToString();
        return new JournalSettings(JournalProviderKind.PostgreSql, "", connectionString);
    }

    private static Task<JournalHandle> OpenAsync(JournalSettings settings, string node) =>
        JournalFactory.OpenAsync(settings, node, NullLogger.Instance, CancellationToken.None);

    private static JournalEntry Entry(long seq, string host) =>
        new("cluster", seq, "m.v1", Encoding.UTF8.GetBytes(host), DateTimeOffset.UnixEpoch, []);

    [Fact]
    public async Task OpenAsync_SameNodeTwice_SecondRefusedNamingNodeAndRedactedConnection()
    {
        var settings = await SettingsAsync();
        await using (var first = await OpenAsync(settings, "n1"))
        {
            var ex = await Assert.ThrowsAsync<CliException>(() => OpenAsync(settings, "n1").WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("daemon named n1", ex.Message);
            Assert.Contains(JournalFactory.RedactedConnection(settings.PostgreSqlConnectionString), ex.Message);
            Assert.DoesNotContain("s3cret", ex.Message);
            Assert.Equal(JournalFactory.RedactedConnection(settings.PostgreSqlConnectionString), first.Location);
        }
        await using var again = await OpenAsync(settings, "n1");
        Assert.Equal("postgresql", again.Provider);
    }

    [Fact]
    public async Task OpenAsync_TwoNodesOnOneDatabase_EachWritesClusterFromOneAndSeesOnlyItsOwn()
    {
        var settings = await SettingsAsync();
        await using var n1 = await OpenAsync(settings, "n1");
        await using var n2 = await OpenAsync(settings, "n2");
        for (var seq = 1; seq <= 3; seq++)
        {
            await n1.Journal.WriteAsync([Entry(seq, "n1")]);
            await n2.Journal.WriteAsync([Entry(seq, "n2")]);
        }
        foreach (var (handle, host) in new[] { (n1, "n1"), (n2, "n2") })
        {
            var all = new List<JournalEntry>();
            await foreach (var e in handle.Journal.ReadAllAsync(0)) all.Add(e);
            Assert.Equal([1L, 2, 3], all.Select(e => e.SequenceNr));
            Assert.All(all, e => Assert.Equal(host, Encoding.UTF8.GetString(e.Payload)));
            Assert.Equal(3, await handle.Journal.CountAsync());
        }
    }

    [Fact]
    public async Task OpenAsync_DatabaseFromBeforeNodeScoping_ItsHostAdoptsItOnceAndSaysSo()
    {
        var settings = await SettingsAsync();
        var connectionString = settings.PostgreSqlConnectionString;
        await PostgresSchema.MigrateAsync(connectionString);
        await using (var old = await PostgresJournal.OpenAsync(connectionString))
            await old.WriteAsync([Entry(1, "n1"), Entry(2, "n1"), Entry(1, "n1") with { PersistenceId = JournalFactory.DaemonRecordPrefix + "n1" }]);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("DELETE FROM journal_schema_version WHERE version = 2", connection);
            await command.ExecuteNonQueryAsync();
        }

        var log = new LinesLogger();
        await using (var other = await JournalFactory.OpenAsync(settings, "n2", log, CancellationToken.None))
            Assert.Equal(0, await other.Journal.CountAsync());
        Assert.Contains(log.Lines, l => l.StartsWith("Warning") && l.Contains("left alone") && l.Contains("written by n1"));

        log.Lines.Clear();
        await using (var n1 = await JournalFactory.OpenAsync(settings, "n1", log, CancellationToken.None))
        {
            Assert.Equal(2, await n1.Journal.ReadHighestSequenceNrAsync("cluster"));
            Assert.Equal(3, await n1.Journal.CountAsync());
        }
        Assert.Contains(log.Lines, l => l.StartsWith("Information") && l.Contains("adopted") && l.Contains("cluster, daemon-n1"));

        log.Lines.Clear();
        await using (var n1 = await JournalFactory.OpenAsync(settings, "n1", log, CancellationToken.None))
            Assert.Equal(3, await n1.Journal.CountAsync());
        Assert.Empty(log.Lines);
    }

    private sealed class LinesLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel} {formatter(state, exception)}");
    }
}
