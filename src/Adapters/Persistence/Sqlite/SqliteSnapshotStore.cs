namespace Haven.Adapters.Persistence.Sqlite;

/// <summary>
/// Snapshot store in a migrated SQLite database file (usually the journal's file). Open with
/// <see cref="OpenAsync"/> after <see cref="SqliteSchema.MigrateAsync"/>.
/// </summary>
public sealed class SqliteSnapshotStore : SqlSnapshotStore
{
    private SqliteSnapshotStore(SqliteConnections connections) : base(connections) => Path = connections.FullPath;

    public string Path { get; }

    /// <summary>Opens the store; fails with a clear error naming the file when it is missing or not migrated.</summary>
    public static Task<SqliteSnapshotStore> OpenAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult(new SqliteSnapshotStore(SqliteConnections.OpenMigrated(path, cancellationToken)));
}
