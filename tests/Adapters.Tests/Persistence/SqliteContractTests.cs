using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>A migrated SQLite file in its own temporary folder, removed afterwards.</summary>
public sealed class TempSqliteFile : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("haven-sqlite-").FullName;

    public string Path => System.IO.Path.Combine(Directory, "journal.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

public sealed class SqliteJournalContractTests : JournalContractTests
{
    private readonly TempSqliteFile _file = new();
    private bool _migrated;

    protected override async Task<IJournal> OpenAsync()
    {
        if (!_migrated) await SqliteSchema.MigrateAsync(_file.Path);
        _migrated = true;
        return await SqliteJournal.OpenAsync(_file.Path);
    }

    protected override Task CleanupAsync()
    {
        _file.Dispose();
        return Task.CompletedTask;
    }
}

public sealed class SqliteSnapshotStoreContractTests : SnapshotStoreContractTests
{
    private readonly TempSqliteFile _file = new();
    private bool _migrated;

    protected override async Task<ISnapshotStore> OpenAsync()
    {
        if (!_migrated) await SqliteSchema.MigrateAsync(_file.Path);
        _migrated = true;
        return await SqliteSnapshotStore.OpenAsync(_file.Path);
    }

    protected override Task CleanupAsync()
    {
        _file.Dispose();
        return Task.CompletedTask;
    }
}
