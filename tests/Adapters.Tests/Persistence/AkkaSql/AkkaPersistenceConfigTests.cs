using Haven.Actors.Akka;
using Haven.Actors.Configuration;
using Haven.Adapters.Persistence.AkkaSql;

namespace Haven.Adapters.Tests.Persistence.AkkaSql;

public sealed class AkkaPersistenceConfigTests
{
    [Fact]
    public void Build_SqliteJournalSettings_PluginsOnTheFileWithHavenTablesAndBatching()
    {
        var settings = AkkaPersistenceSettings.From(new JournalSettings(JournalProviderKind.Sqlite, "/var/lib/haven/j \"x\".db", ""), "n1")
            with { Parallelism = 1, BatchSize = 1000 };
        var config = AkkaPersistenceConfig.Build(settings, AkkaConfig.Build(new AkkaHostSettings()));
        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("SQLite.MS", config.GetString("akka.persistence.journal.sql.provider-name"));
        var connection = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(config.GetString("akka.persistence.journal.sql.connection-string"));
        Assert.Equal(("/var/lib/haven/j \"x\".db", Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite), (connection.DataSource, connection.Mode));
        Assert.Equal("akka_journal", config.GetString("akka.persistence.journal.sql.default.journal.table-name"));
        Assert.Equal("akka_snapshot", config.GetString("akka.persistence.snapshot-store.sql.default.snapshot.table-name"));
        Assert.Equal((1, 1000), (config.GetInt("akka.persistence.journal.sql.parallelism"), config.GetInt("akka.persistence.journal.sql.batch-size")));
        Assert.True(config.GetBoolean("akka.persistence.journal.sql.auto-initialize"));
        // The plugin's reference config is underneath, and the host's own keys survive.
        Assert.Equal("Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql", config.GetString("akka.persistence.journal.sql.class"));
        Assert.Equal("off", config.GetString("akka.coordinated-shutdown.run-by-clr-shutdown-hook"));
    }

    [Fact]
    public void Build_PostgresSettings_NodeTablesAndConnectionStringAsGiven()
    {
        var config = AkkaPersistenceConfig.Build(
            AkkaPersistenceSettings.From(new JournalSettings(JournalProviderKind.PostgreSql, "", "Host=db;Database=haven"), "n2"));
        Assert.Equal("PostgreSQL.15", config.GetString("akka.persistence.snapshot-store.sql.provider-name"));
        Assert.Equal("Host=db;Database=haven", config.GetString("akka.persistence.snapshot-store.sql.connection-string"));
        Assert.Equal("akka_n2_journal", config.GetString("akka.persistence.journal.sql.default.journal.table-name"));
        Assert.Equal("akka_n2_tags", config.GetString("akka.persistence.query.journal.sql.default.tag.table-name"));
    }

    [Fact]
    public void From_MemoryOrEmptyDatabase_ClearErrors()
    {
        var memory = Assert.Throws<ArgumentException>(() => AkkaPersistenceSettings.From(new JournalSettings(JournalProviderKind.Memory, "", ""), "n1"));
        Assert.Contains("haven.journal.provider = memory has no Akka.Persistence.Sql plugin", memory.Message);
        var empty = Assert.Throws<ArgumentException>(() => AkkaPersistenceConfig.Render(
            AkkaPersistenceSettings.From(new JournalSettings(JournalProviderKind.PostgreSql, "", " "), "n1")));
        Assert.Contains("haven.journal.postgresql.connection-string is empty", empty.Message);
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => AkkaPersistenceConfig.Render(
            AkkaPersistenceSettings.From(new JournalSettings(JournalProviderKind.Sqlite, "/j.db", ""), "n1") with { Parallelism = 0 }));
        Assert.Contains("parallelism must be at least 1", zero.Message);
    }
}
