using System.Data.Common;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// Snapshot store over the <c>snapshot</c> table; the SQL (including the ON CONFLICT upsert) is the same
/// in SQLite and PostgreSQL, so subclasses only supply connections.
/// </summary>
public abstract class SqlSnapshotStore : ISnapshotStore, IAsyncDisposable
{
    private const string SaveSql =
        $"INSERT INTO snapshot ({SqlRows.SnapshotColumns}) VALUES (@pid, @seq, @manifest, @payload, @ts) " +
        "ON CONFLICT (persistence_id, sequence_nr) DO UPDATE SET manifest = excluded.manifest, payload = excluded.payload, timestamp = excluded.timestamp";
    private const string LoadSql =
        $"SELECT {SqlRows.SnapshotColumns} FROM snapshot WHERE persistence_id = @pid AND sequence_nr <= @max ORDER BY sequence_nr DESC LIMIT 1";
    private const string DeleteSql = "DELETE FROM snapshot WHERE persistence_id = @pid AND sequence_nr <= @max";

    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public async Task SaveAsync(SnapshotEntry snapshot, CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckSnapshot(snapshot);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, SaveSql);
        command.Add("@pid", snapshot.Metadata.PersistenceId);
        command.Add("@seq", snapshot.Metadata.SequenceNr);
        command.Add("@manifest", snapshot.Manifest);
        command.Add("@payload", snapshot.Payload);
        command.Add("@ts", SqlRows.ToTicks(snapshot.Metadata.Timestamp));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<SnapshotEntry?> LoadLatestAsync(string persistenceId, long maxSequenceNr = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, LoadSql);
        command.Add("@pid", persistenceId);
        command.Add("@max", maxSequenceNr);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? SqlRows.ReadSnapshot(reader) : null;
    }

    public async Task DeleteToAsync(string persistenceId, long maxSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, DeleteSql);
        command.Add("@pid", persistenceId);
        command.Add("@max", maxSequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
