using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>A SQLite file in its own temporary folder, removed afterwards.</summary>
public sealed class TempSqliteFile : IDisposable
{
    private bool _migrated;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("haven-sqlite-").FullName;

    public string Path => System.IO.Path.Combine(Directory, "journal.db");

    /// <summary>The path, migrated on first use (the migration is the operator's explicit step).</summary>
    public async Task<string> MigratedPathAsync()
    {
        if (!_migrated) await SqliteSchema.MigrateAsync(Path);
        _migrated = true;
        return Path;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

public sealed class SqliteJournalContractTests : JournalContractTests
{
    private readonly TempSqliteFile _file = new();

    protected override async Task<IJournal> OpenAsync() => await SqliteJournal.OpenAsync(await _file.MigratedPathAsync());

    protected override Task CleanupAsync() { _file.Dispose(); return Task.CompletedTask; }
}

public sealed class SqliteSnapshotStoreContractTests : SnapshotStoreContractTests
{
    private readonly TempSqliteFile _file = new();

    protected override async Task<ISnapshotStore> OpenAsync() => await SqliteSnapshotStore.OpenAsync(await _file.MigratedPathAsync());

    protected override Task CleanupAsync() { _file.Dispose(); return Task.CompletedTask; }
}
