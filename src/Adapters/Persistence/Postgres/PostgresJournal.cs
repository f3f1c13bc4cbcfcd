using Haven.Actors.Persistence;
using Npgsql;
using NpgsqlTypes;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>
/// Event journal in PostgreSQL (the shared audit journal). Each batch is one transaction: per-id
/// advisory locks (so writers of one id from any process serialize), the expected-version check, one
/// multi-row INSERT over unnest() arrays, and the journal_metadata update. Writers of different ids run
/// in parallel. Note: ReadAll sees identity order; concurrent transactions may commit out of order.
/// </summary>
public sealed class PostgresJournal : SqlJournal
{
    private const string LockSql = "SELECT pg_advisory_xact_lock(hashtextextended(p, 0)) FROM unnest(@pids) AS p";
    private const string HighestManySql =
        "SELECT persistence_id, max_sequence_nr FROM journal_metadata WHERE persistence_id = ANY(@pids)";
    private const string InsertSql =
        "INSERT INTO journal (persistence_id, sequence_nr, manifest, payload, timestamp, tags) " +
        "SELECT * FROM unnest(@pid, @seq, @manifest, @payload, @ts, @tags)";
    private const string UpsertHighestManySql =
        "INSERT INTO journal_metadata (persistence_id, max_sequence_nr) SELECT * FROM unnest(@pids, @maxs) " +
        "ON CONFLICT (persistence_id) DO UPDATE SET max_sequence_nr = excluded.max_sequence_nr";

    private readonly PostgresConnections _connections;

    private PostgresJournal(PostgresConnections connections) : base(connections) => _connections = connections;

    /// <summary>Opens the journal; a clear error names the database when it is unreachable or not migrated.</summary>
    public static async Task<PostgresJournal> OpenAsync(string connectionString, CancellationToken cancellationToken = default) =>
        new(await PostgresConnections.OpenMigratedAsync(connectionString, cancellationToken).ConfigureAwait(false));

    public override async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        var ranges = JournalBatch.Plan(entries);
        if (ranges.Count == 0) return;
        var pids = ranges.Select(r => r.PersistenceId).Order(StringComparer.Ordinal).ToArray();
        await using var connection = await _connections.OpenNpgsqlAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var lockCommand = new NpgsqlCommand(LockSql, connection, transaction))
            {
                lockCommand.Parameters.Add(new NpgsqlParameter("pids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = pids });
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var highest = await ReadHighestAsync(connection, transaction, pids, cancellationToken).ConfigureAwait(false);
            foreach (var range in ranges)
                JournalBatch.CheckContinues(range, highest.GetValueOrDefault(range.PersistenceId));
            await InsertAsync(connection, transaction, entries, cancellationToken).ConfigureAwait(false);
            await using (var upsert = new NpgsqlCommand(UpsertHighestManySql, connection, transaction))
            {
                upsert.Parameters.Add(Array("pids", NpgsqlDbType.Text, ranges.Select(r => r.PersistenceId).ToArray()));
                upsert.Parameters.Add(Array("maxs", NpgsqlDbType.Bigint, ranges.Select(r => r.LastSequenceNr).ToArray()));
                await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresDatabase.UniqueViolation)
        {
            throw new JournalRejectedException(
                $"batch rejected by journal {_connections.Where}: {ex.MessageText}; nothing was written", ex);
        }
    }

    private static async Task<Dictionary<string, long>> ReadHighestAsync(NpgsqlConnection connection,
        NpgsqlTransaction transaction, string[] pids, CancellationToken cancellationToken)
    {
        var highest = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(HighestManySql, connection, transaction);
        command.Parameters.Add(Array("pids", NpgsqlDbType.Text, pids));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            highest[reader.GetString(0)] = reader.GetInt64(1);
        return highest;
    }

    private static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken)
    {
        var n = entries.Count;
        var pid = new string[n];
        var seq = new long[n];
        var manifest = new string[n];
        var payload = new byte[n][];
        var ts = new long[n];
        var tags = new string?[n];
        for (var i = 0; i < n; i++)
        {
            var e = entries[i];
            (pid[i], seq[i], manifest[i], payload[i]) = (e.PersistenceId, e.SequenceNr, e.Manifest, e.Payload);
            (ts[i], tags[i]) = (SqlRows.ToTicks(e.Timestamp), SqlRows.EncodeTags(e.Tags));
        }
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        command.Parameters.Add(Array("pid", NpgsqlDbType.Text, pid));
        command.Parameters.Add(Array("seq", NpgsqlDbType.Bigint, seq));
        command.Parameters.Add(Array("manifest", NpgsqlDbType.Text, manifest));
        command.Parameters.Add(Array("payload", NpgsqlDbType.Bytea, payload));
        command.Parameters.Add(Array("ts", NpgsqlDbType.Bigint, ts));
        command.Parameters.Add(Array("tags", NpgsqlDbType.Text, tags));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlParameter Array(string name, NpgsqlDbType elementType, object values) =>
        new(name, NpgsqlDbType.Array | elementType) { Value = values };
}
