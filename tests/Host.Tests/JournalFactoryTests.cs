using Haven.Actors.Configuration;
using Haven.Adapters.Persistence.Sqlite;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

public class JournalFactoryTests
{
    [Fact]
    public async Task DaemonRecordPrefix_IsTheIdUnderWhichTheDaemonJournalsItsRuns()
    {
        // The adoption of a shared database's old records identifies their host by this record.
        using var dir = new TempDir();
        await using (var daemon = await RunningDaemon.StartAsync(dir.DaemonConfig(node: "n7")))
            Assert.Equal(0, await daemon.StopAsync());
        await using var journal = await SqliteJournal.OpenAsync(dir.File("journal.db"));
        Assert.Equal(2, await journal.ReadHighestSequenceNrAsync(JournalFactory.DaemonRecordPrefix + "n7"));
    }

    [Fact]
    public async Task OpenAsync_PostgresWithNodeNameUnfitForScoping_FailsNamingNodeWithoutPassword()
    {
        var settings = new JournalSettings(JournalProviderKind.PostgreSql, "",
            "Host=127.0.0.1;Port=1;Database=haven;Username=haven;Password=s3cret");
        var ex = await Assert.ThrowsAsync<CliException>(() => JournalFactory.OpenAsync(settings, "web 1", NullLogger.Instance, CancellationToken.None));
        Assert.Contains("\"web 1\"", ex.Message);
        Assert.Contains("Host=127.0.0.1;Port=1;Database=haven;Username=haven", ex.Message);
        Assert.DoesNotContain("s3cret", ex.Message);
    }
}
