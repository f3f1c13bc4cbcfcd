using System.Text;
using Haven.Actors.Configuration;
using Haven.Actors.Persistence;
using Haven.Adapters.Tests.Persistence;
using Haven.Host.Daemon;
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
}
