using System.Data.Common;
using Haven.Adapters.Persistence.Postgres;
using Haven.Adapters.Persistence.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Haven.Adapters.Persistence.AkkaSql;

public static partial class AkkaJournalMigration
{
    private static async Task<AkkaMigrationResult> RunSqliteAsync(AkkaPersistenceSettings s, CancellationToken ct)
    {
        var fullPath = SqliteDatabase.FullPath(s.Database);
        SqliteDatabase.CheckExists(fullPath);
        using var connection = SqliteDatabase.Open(fullPath, SqliteDatabase.ConnectionString(fullPath, SqliteOpenMode.ReadWrite));
        try
        {
            await using var transaction = connection.BeginTransaction(deferred: false);
            var dialect = new Dialect(
                Where: fullPath,
                TableExistsSql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = @name",
                ColumnsSql: "SELECT name FROM pragma_table_info(@name)",
                SchemaVersionSql: "PRAGMA user_version",
                SchemaVersion: SqliteDatabase.SchemaVersion,
                ScopeOf: _ => "1 = 1",
                StoredIdOf: column => column,
                TagValues: tags => $"json_each({tags}) t",
                NodeScope: null);
            return await MigrateAsync(connection, transaction, s, dialect, ct).ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new IOException($"cannot migrate journal database {fullPath} to Akka.Persistence.Sql: {ex.Message}", ex);
        }
        finally
        {
            SqliteConnection.ClearPool(connection);
        }
    }

    private static async Task<AkkaMigrationResult> RunPostgresAsync(AkkaPersistenceSettings s, CancellationToken ct)
    {
        var where = PostgresDatabase.Describe(s.Database) + $" (node {s.Node})";
        await using var dataSource = NpgsqlDataSource.Create(s.Database);
        await using var connection = await PostgresDatabase.Connect(dataSource, where, ct).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresDatabase.MigrationLockKey})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var dialect = new Dialect(
            Where: where,
            TableExistsSql: "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = @name",
            ColumnsSql: "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @name",
            SchemaVersionSql: "SELECT coalesce(max(version), 0) FROM journal_schema_version",
            SchemaVersion: PostgresDatabase.SchemaVersion,
            ScopeOf: column => $"substr({column}, 1, @plen::int) = @prefix",
            StoredIdOf: column => $"substr({column}, @plen::int + 1)",
            TagValues: tags => $"LATERAL json_array_elements_text({tags}::json) AS t(value)",
            NodeScope: new NodeScope(s.Node));
        try
        {
            return await MigrateAsync(connection, transaction, s, dialect, ct).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            throw new InvalidOperationException($"cannot migrate journal database {where} to Akka.Persistence.Sql: {ex.MessageText}", ex);
        }
    }

    /// <summary>Snapshots row by row (few); payload, manifest and timestamp (UTC ticks in both stores) as stored.</summary>
    private static async Task<long> CopySnapshotsAsync(Sql run, AkkaPersistenceSettings s, Dialect d)
    {
        var rows = new List<(string Id, long Seq, string Manifest, byte[] Payload, long Ticks)>();
        await using (var read = run.Command($"SELECT {d.StoredId}, sequence_nr, manifest, payload, timestamp FROM snapshot WHERE {d.Scope} ORDER BY persistence_id, sequence_nr", Scoped(d)))
        await using (var reader = await read.ExecuteReaderAsync(run.Token).ConfigureAwait(false))
            while (await reader.ReadAsync(run.Token).ConfigureAwait(false))
                rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetInt64(4)));
        foreach (var r in rows)
            await run.ExecuteAsync(
                $"INSERT INTO {Q(s.SnapshotTable)} (persistence_id, sequence_number, created, snapshot, manifest, serializer_id) VALUES (@p, @n, @c, @b, @m, @id)",
                [("@p", r.Id), ("@n", r.Seq), ("@c", r.Ticks), ("@b", r.Payload), ("@m", r.Manifest), ("@id", HavenJsonAkkaSerializer.Id)]);
        return rows.Count;
    }

    /// <summary>Commands on one connection and transaction.</summary>
    private sealed class Sql(DbConnection connection, DbTransaction transaction, CancellationToken token)
    {
        public CancellationToken Token => token;

        public DbCommand Command(string sql, IEnumerable<(string Name, object Value)>? parameters = null)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = transaction;
            foreach (var (name, value) in parameters ?? [])
            {
                var p = command.CreateParameter();
                p.ParameterName = name;
                p.Value = value;
                command.Parameters.Add(p);
            }
            return command;
        }

        public async Task<int> ExecuteAsync(string sql, IEnumerable<(string, object)>? parameters = null)
        {
            await using var command = Command(sql, parameters);
            return await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
        }

        public async Task<long> LongAsync(string sql, IEnumerable<(string, object)>? parameters = null)
        {
            await using var command = Command(sql, parameters);
            return Convert.ToInt64(await command.ExecuteScalarAsync(token).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async Task<long[]?> RowAsync(string sql)
        {
            await using var command = Command(sql);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            if (!await reader.ReadAsync(token).ConfigureAwait(false)) return null;
            var row = new long[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.GetInt64(i);
            return row;
        }

        public async Task<List<string>> StringsAsync(string sql, IEnumerable<(string, object)>? parameters = null)
        {
            var values = new List<string>();
            await using var command = Command(sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(token).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false)) values.Add(reader.GetString(0));
            return values;
        }
    }
}
