namespace Haven.Adapters.Persistence.Postgres;

/// <summary>Snapshot store in a migrated PostgreSQL database; open with <see cref="OpenAsync"/>.</summary>
public sealed class PostgresSnapshotStore : SqlSnapshotStore
{
    private PostgresSnapshotStore(PostgresConnections connections) : base(connections) { }

    /// <summary>Opens the store; a clear error names the database when it is unreachable or not migrated.</summary>
    public static async Task<PostgresSnapshotStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default) =>
        new(await PostgresConnections.OpenMigratedAsync(connectionString, cancellationToken).ConfigureAwait(false));
}
