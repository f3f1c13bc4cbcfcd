using System.Data.Common;
using System.Runtime.CompilerServices;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// The SQL that SQLite and PostgreSQL share: range reads, ReadAll, highest sequence number (kept in
/// <c>journal_metadata</c> so it survives deletes), delete-to and count. Subclasses supply connections
/// and the batch write, which differs per engine.
/// </summary>
public abstract class SqlJournal : IJournal, IAsyncDisposable
{
    private const string ReadRangeSql =
        $"SELECT {SqlRows.JournalColumns} FROM journal WHERE persistence_id = @pid AND sequence_nr >= @from AND sequence_nr <= @to ORDER BY sequence_nr LIMIT @max";
    private const string ReadAllSql =
        $"SELECT {SqlRows.JournalColumns} FROM journal WHERE ordering > @after ORDER BY ordering LIMIT @max";
    protected const string HighestSql = "SELECT max_sequence_nr FROM journal_metadata WHERE persistence_id = @pid";
    protected const string UpsertHighestSql =
        "INSERT INTO journal_metadata (persistence_id, max_sequence_nr) VALUES (@pid, @max) " +
        "ON CONFLICT (persistence_id) DO UPDATE SET max_sequence_nr = excluded.max_sequence_nr";
    private const string DeleteToSql = "DELETE FROM journal WHERE persistence_id = @pid AND sequence_nr <= @to";
    private const string CountSql = "SELECT COUNT(*) FROM journal";

    /// <summary>Opens a connection for a read or a small write; disposed by the caller.</summary>
    protected abstract ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    public abstract Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default);

    public abstract ValueTask DisposeAsync();

    public async IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr,
        long max = long.MaxValue, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckRead(persistenceId, max);
        if (max == 0 || toSequenceNr < fromSequenceNr) yield break;
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, ReadRangeSql);
        command.Add("@pid", persistenceId);
        command.Add("@from", fromSequenceNr);
        command.Add("@to", toSequenceNr);
        command.Add("@max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return SqlRows.ReadJournalEntry(reader, persistenceId);
    }

    public async IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        if (max == 0) yield break;
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, ReadAllSql);
        command.Add("@after", afterOrdering);
        command.Add("@max", max);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return SqlRows.ReadJournalEntry(reader);
    }

    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, HighestSql);
        command.Add("@pid", persistenceId);
        return ToLong(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    public async Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, DeleteToSql);
        command.Add("@pid", persistenceId);
        command.Add("@to", toSequenceNr);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlRows.Command(connection, CountSql);
        return ToLong(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>A scalar that may be NULL or missing (no row) as a long; 0 for none.</summary>
    protected static long ToLong(object? scalar) => scalar is null or DBNull ? 0 : Convert.ToInt64(scalar, System.Globalization.CultureInfo.InvariantCulture);
}
