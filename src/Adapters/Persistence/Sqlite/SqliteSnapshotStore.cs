using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.Sqlite;

/// <summary>
/// Snapshot store in a migrated SQLite database file (usually the journal's file). Open with
/// <see cref="OpenAsync"/> after <see cref="SqliteSchema.MigrateAsync"/>.
/// </summary>
public sealed class SqliteSnapshotStore : SqlSnapshotStore
{
    private readonly string _fullPath;
    private readonly string _connectionString;
    private bool _disposed;

    private SqliteSnapshotStore(string fullPath, string connectionString)
    {
        _fullPath = fullPath;
        _connectionString = connectionString;
    }

    public string Path => _fullPath;

    /// <summary>Opens the store; fails with a clear error naming the file when it is missing or not migrated.</summary>
    public static Task<SqliteSnapshotStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        var fullPath = SqliteDatabase.FullPath(path);
        SqliteDatabase.CheckExists(fullPath);
        cancellationToken.ThrowIfCancellationRequested();
        var connectionString = SqliteDatabase.ConnectionString(fullPath, SqliteOpenMode.ReadWrite);
        using (SqliteDatabase.OpenMigrated(fullPath, connectionString)) { }
        return Task.FromResult(new SqliteSnapshotStore(fullPath, connectionString));
    }

    protected override ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<DbConnection>(SqliteDatabase.Open(_fullPath, _connectionString));
    }

    public override ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
