using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// Snapshot store over the <c>snapshot</c> table; the SQL (including the ON CONFLICT upsert) is the same
/// in SQLite and PostgreSQL, so engine subclasses only supply the connections.
/// </summary>
public abstract class SqlSnapshotStore(ISqlConnections connections) : ISnapshotStore, IAsyncDisposable
{
    private const string SaveSql =
        $"INSERT INTO snapshot ({SqlRows.SnapshotColumns}) VALUES (@pid, @seq, @manifest, @payload, @ts) " +
        "ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET manifest = excluded.manifest, payload = excluded.payload, timestamp = excluded.timestamp";
    private const string LoadSql =
        $"SELECT {SqlRows.SnapshotColumns} FROM snapshot WHERE persistence_id = @pid AND sequence_nr <= @max ORDER BY sequence_nr DESC LIMIT 1";
    private const string DeleteSql = "DELETE FROM snapshot WHERE persistence_id = @pid AND sequence_nr <= @max";

    public ValueTask DisposeAsync() => connections.DisposeAsync();

    public Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckSnapshot(snapshot);
        var m = snapshot.Metadata;
        return connections.ExecuteAsync(SaveSql, cancellationToken, ("@pid", m.PersistenceId), ("@seq", m.SequenceNr),
            ("@manifest", snapshot.Manifest), ("@payload", snapshot.Payload), ("@ts", SqlRows.ToTicks(m.Timestamp)));
    }

    public async Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlStatements.Prepare(connection, LoadSql, ("@pid", persistenceId), ("@max", maxSequenceNr));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqlRows.ReadSnapshot(reader) : null;
    }

    public Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        return connections.ExecuteAsync(DeleteSql, cancellationToken, ("@pid", persistenceId), ("@max", maxSequenceNr));
    }
}
