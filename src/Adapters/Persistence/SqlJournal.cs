using System.Runtime.CompilerServices;
using Haven.Actors.Persistence;

namespace Haven.Adapters.Persistence;

/// <summary>
/// The SQL that SQLite and PostgreSQL share: range reads, ReadAll, highest sequence number (kept in
/// <c>journal_metadata</c> so it survives deletes), delete-to and count. Subclasses supply the batch
/// write, which differs per engine.
/// </summary>
public abstract class SqlJournal(ISqlConnections connections) : IJournal, IAsyncDisposable
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
    private const string PrefixFilter = "substr(persistence_id, 1, @plen) = @prefix";
    private const string ReadAllPrefixSql =
        $"SELECT {SqlRows.JournalColumns} FROM journal WHERE ordering > @after AND {PrefixFilter} ORDER BY ordering LIMIT @max";
    private const string CountPrefixSql = $"SELECT COUNT(*) FROM journal WHERE {PrefixFilter}";

    protected ISqlConnections Connections { get; } = connections;

    public abstract Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default);

    public virtual ValueTask DisposeAsync() => Connections.DisposeAsync();

    public IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr,
        long max = long.MaxValue, CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckRead(persistenceId, max);
        return max == 0 || toSequenceNr < fromSequenceNr
            ? AsyncEnumerable.Empty<JournalEntry>()
            : Query(ReadRangeSql, persistenceId, cancellationToken,
                ("@pid", persistenceId), ("@from", fromSequenceNr), ("@to", toSequenceNr), ("@max", max));
    }

    public IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        return max == 0
            ? AsyncEnumerable.Empty<JournalEntry>()
            : Query(ReadAllSql, null, cancellationToken, ("@after", afterOrdering), ("@max", max));
    }

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        return Connections.ScalarLongAsync(HighestSql, cancellationToken, ("@pid", persistenceId));
    }

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        return Connections.ExecuteAsync(DeleteToSql, cancellationToken, ("@pid", persistenceId), ("@to", toSequenceNr));
    }

    public Task<long> CountAsync(CancellationToken cancellationToken = default) =>
        Connections.ScalarLongAsync(CountSql, cancellationToken);

    /// <summary>
    /// <see cref="ReadAllAsync(long, long, CancellationToken)"/> over the ids that start with
    /// <paramref name="idPrefix"/> only; the store filters, so a page of max entries is exact.
    /// </summary>
    public IAsyncEnumerable<JournalEntry> ReadAllWithPrefixAsync(string idPrefix, long afterOrdering, long max = long.MaxValue,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idPrefix);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        return max == 0
            ? AsyncEnumerable.Empty<JournalEntry>()
            : Query(ReadAllPrefixSql, null, cancellationToken,
                ("@after", afterOrdering), ("@plen", idPrefix.Length), ("@prefix", idPrefix), ("@max", max));
    }

    /// <summary>How many entries the ids that start with <paramref name="idPrefix"/> hold now.</summary>
    public Task<long> CountWithPrefixAsync(string idPrefix, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(idPrefix);
        return Connections.ScalarLongAsync(CountPrefixSql, cancellationToken, ("@plen", idPrefix.Length), ("@prefix", idPrefix));
    }

    private async IAsyncEnumerable<JournalEntry> Query(string sql, string? knownPersistenceId,
        [EnumeratorCancellation] CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await Connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = SqlStatements.Prepare(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            yield return SqlRows.ReadJournalEntry(reader, knownPersistenceId);
    }
}
