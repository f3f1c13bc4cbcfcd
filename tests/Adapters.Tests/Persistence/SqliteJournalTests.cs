using System.Text;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Sqlite;
using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>SQLite specifics beyond the contract: migration, clear errors, durability settings, corrupt rows.</summary>
public sealed class SqliteJournalTests : IDisposable
{
    private sealed record NodeJoined(string Node, int Votes);

    private readonly TempSqliteFile _file = new();

    public void Dispose() => _file.Dispose();

    private object? RawScalar(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={_file.Path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public async Task OpenAsync_FileMissing_FailsNamingFileAndMigration()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteJournal.OpenAsync(_file.Path));
        Assert.Contains(_file.Path, ex.Message);
        Assert.Contains("run the migration", ex.Message);
        Assert.False(File.Exists(_file.Path));
    }

    [Fact]
    public async Task OpenAsync_DatabaseNotMigrated_FailsAndCreatesNoTable()
    {
        await File.WriteAllBytesAsync(_file.Path, []);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteJournal.OpenAsync(_file.Path));
        Assert.Contains($"journal schema missing in {_file.Path}", ex.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => SqliteSnapshotStore.OpenAsync(_file.Path));
        Assert.Equal(0L, RawScalar("SELECT COUNT(*) FROM sqlite_master"));
    }

    [Fact]
    public async Task MigrateAsync_DirectoryMissing_FailsNamingDirectory()
    {
        var missing = Path.Combine(_file.Directory, "no-such-dir", "journal.db");
        var ex = await Assert.ThrowsAsync<DirectoryNotFoundException>(() => SqliteSchema.MigrateAsync(missing));
        Assert.Contains(Path.Combine(_file.Directory, "no-such-dir"), ex.Message);
        await Assert.ThrowsAsync<DirectoryNotFoundException>(() => SqliteJournal.OpenAsync(missing));
    }

    [Fact]
    public async Task MigrateAsync_ParentIsAFile_FailsNamingPath()
    {
        var notADirectory = Path.Combine(_file.Directory, "plain-file");
        await File.WriteAllTextAsync(notADirectory, "x");
        var path = Path.Combine(notADirectory, "journal.db");
        var ex = await Assert.ThrowsAnyAsync<IOException>(() => SqliteSchema.MigrateAsync(path));
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public async Task MigrateAsync_FileIsNotADatabase_FailsNamingFile()
    {
        await File.WriteAllTextAsync(_file.Path, new string('x', 4096));
        var ex = await Assert.ThrowsAsync<IOException>(() => SqliteSchema.MigrateAsync(_file.Path));
        Assert.Contains(_file.Path, ex.Message);
    }

    [Fact]
    public async Task MigrateAsync_RunTwice_KeepsDataAndUsesWal()
    {
        await SqliteSchema.MigrateAsync(_file.Path);
        await using (var journal = await SqliteJournal.OpenAsync(_file.Path))
            await journal.WriteAsync([new JournalEntry("a", 1, "m.v1", [1], DateTimeOffset.UnixEpoch, [])]);
        await SqliteSchema.MigrateAsync(_file.Path);
        await using (var journal = await SqliteJournal.OpenAsync(_file.Path))
            Assert.Equal(1, await journal.CountAsync());
        Assert.Equal("wal", RawScalar("PRAGMA journal_mode"));
        Assert.Equal(1L, RawScalar("PRAGMA user_version"));
    }

    [Fact]
    public async Task Open_Connection_UsesFullSynchronousAndBusyTimeout()
    {
        await SqliteSchema.MigrateAsync(_file.Path);
        using var connection = SqliteDatabase.Open(_file.Path, SqliteDatabase.ConnectionString(_file.Path, SqliteOpenMode.ReadWrite));
        Assert.Equal(2L, SqliteDatabase.Scalar(connection, "PRAGMA synchronous")); // 2 = FULL
        Assert.Equal((long)SqliteDatabase.BusyTimeoutMs, SqliteDatabase.Scalar(connection, "PRAGMA busy_timeout"));
    }

    [Fact]
    public async Task Deserialize_CorruptPayloadRow_FailsNamingPersistenceIdAndSequenceNr()
    {
        var registry = new EventManifestRegistry().Register<NodeJoined>("cluster.node-joined.v1");
        var serializer = new JsonEventSerializer(registry);
        await SqliteSchema.MigrateAsync(_file.Path);
        await using var journal = await SqliteJournal.OpenAsync(_file.Path);
        var entries = Enumerable.Range(1, 3).Select(i =>
        {
            var (manifest, payload) = serializer.Serialize(new NodeJoined($"n{i}", i));
            return new JournalEntry("cluster", i, manifest, payload, DateTimeOffset.UnixEpoch, []);
        }).ToList();
        await journal.WriteAsync(entries);
        RawScalar("UPDATE journal SET payload = X'7B226E6F6465223A' WHERE sequence_nr = 2");
        RawScalar("UPDATE journal SET manifest = 'cluster.gone.v9' WHERE sequence_nr = 3");

        var read = new List<JournalEntry>();
        await foreach (var e in journal.ReadAsync("cluster", 1, long.MaxValue)) read.Add(e);
        Assert.Equal(new NodeJoined("n1", 1), serializer.Deserialize(read[0]));
        var corrupt = Assert.Throws<RecoveryFailedException>(() => serializer.Deserialize(read[1]));
        Assert.Equal(("cluster", 2L), (corrupt.PersistenceId, corrupt.SequenceNr));
        Assert.Contains("corrupt", corrupt.Message);
        var unknown = Assert.Throws<RecoveryFailedException>(() => serializer.Deserialize(read[2]));
        Assert.Equal(3L, unknown.SequenceNr);
        Assert.Contains("unknown event manifest 'cluster.gone.v9'", unknown.Message);
    }

    [Fact]
    public async Task WriteAsync_AfterDispose_Throws()
    {
        await SqliteSchema.MigrateAsync(_file.Path);
        var journal = await SqliteJournal.OpenAsync(_file.Path);
        await journal.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            journal.WriteAsync([new JournalEntry("a", 1, "m.v1", Encoding.UTF8.GetBytes("{}"), DateTimeOffset.UnixEpoch, [])]));
    }

    [Fact]
    public async Task WriteAsync_TwoJournalsOnOneFile_SecondSeesFirstAndRejectsDuplicate()
    {
        await SqliteSchema.MigrateAsync(_file.Path);
        await using var first = await SqliteJournal.OpenAsync(_file.Path);
        await using var second = await SqliteJournal.OpenAsync(_file.Path);
        await first.WriteAsync([new JournalEntry("a", 1, "m.v1", [1], DateTimeOffset.UnixEpoch, [])]);
        await Assert.ThrowsAsync<JournalRejectedException>(() =>
            second.WriteAsync([new JournalEntry("a", 1, "m.v1", [2], DateTimeOffset.UnixEpoch, [])]));
        await second.WriteAsync([new JournalEntry("a", 2, "m.v1", [2], DateTimeOffset.UnixEpoch, [])]);
        Assert.Equal(2, await first.ReadHighestSequenceNrAsync("a"));
    }
}
