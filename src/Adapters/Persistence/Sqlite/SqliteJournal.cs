using Haven.Actors.Persistence;
using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.Sqlite;

/// <summary>
/// Event journal in a SQLite file (WAL, synchronous=FULL). Writers are serialized on one dedicated
/// connection with prepared commands; each batch is one IMMEDIATE transaction. Readers use pooled
/// connections and run beside the writer. Open with <see cref="OpenAsync"/> after
/// <see cref="SqliteSchema.MigrateAsync"/>.
/// </summary>
public sealed class SqliteJournal : SqlJournal
{
    private const string InsertSql =
        "INSERT INTO journal (persistence_id, sequence_nr, manifest, payload, timestamp, tags) VALUES (@pid, @seq, @manifest, @payload, @ts, @tags)";
    private const int SqliteConstraint = 19;

    private readonly string _fullPath;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly SqliteCommand _insert, _highest, _upsertHighest;
    private bool _disposed;

    private SqliteJournal(SqliteConnections connections) : base(connections)
    {
        _fullPath = connections.FullPath;
        _writer = connections.Open();
        _insert = Prepare(InsertSql, "@pid", "@seq", "@manifest", "@payload", "@ts", "@tags");
        _highest = Prepare(HighestSql, "@pid");
        _upsertHighest = Prepare(UpsertHighestSql, "@pid", "@max");
    }

    /// <summary>The database file this journal writes to.</summary>
    public string Path => _fullPath;

    /// <summary>Opens the journal in an existing, migrated database file; a clear error names the file otherwise.</summary>
    public static Task<SqliteJournal> OpenAsync(string path, CancellationToken cancellationToken = default) =>
        Task.FromResult(new SqliteJournal(SqliteConnections.OpenMigrated(path, cancellationToken)));

    public override async Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        var ranges = JournalBatch.Plan(entries);
        if (ranges.Count == 0) return;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var transaction = _writer.BeginTransaction(deferred: false);
            _insert.Transaction = _highest.Transaction = _upsertHighest.Transaction = transaction;
            foreach (var range in ranges)
            {
                _highest.Parameters[0].Value = range.PersistenceId;
                JournalBatch.CheckContinues(range, SqlStatements.ToLong(_highest.ExecuteScalar()));
            }
            foreach (var e in entries)
            {
                var p = _insert.Parameters;
                p[0].Value = e.PersistenceId;
                p[1].Value = e.SequenceNr;
                p[2].Value = e.Manifest;
                p[3].Value = e.Payload;
                p[4].Value = SqlRows.ToTicks(e.Timestamp);
                p[5].Value = (object?)SqlRows.EncodeTags(e.Tags) ?? DBNull.Value;
                _insert.ExecuteNonQuery();
            }
            foreach (var range in ranges)
            {
                _upsertHighest.Parameters[0].Value = range.PersistenceId;
                _upsertHighest.Parameters[1].Value = range.LastSequenceNr;
                _upsertHighest.ExecuteNonQuery();
            }
            transaction.Commit();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            throw new JournalRejectedException(
                $"batch rejected by journal {_fullPath}: {ex.Message}; nothing was written", ex);
        }
        catch (SqliteException ex)
        {
            throw new IOException($"writing to journal {_fullPath} failed: {ex.Message}", ex);
        }
        finally
        {
            _insert.Transaction = _highest.Transaction = _upsertHighest.Transaction = null;
            _writeGate.Release();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            _insert.Dispose();
            _highest.Dispose();
            _upsertHighest.Dispose();
            SqliteConnection.ClearPool(_writer);
            _writer.Dispose();
            await base.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A command on the writer connection, compiled once and reused for every batch.</summary>
    private SqliteCommand Prepare(string sql, params string[] parameterNames)
    {
        var command = _writer.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames) command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        command.Prepare();
        return command;
    }
}
