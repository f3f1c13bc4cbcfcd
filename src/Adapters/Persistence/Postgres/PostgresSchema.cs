using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>
/// The explicit migration step for a Haven PostgreSQL journal (tables in the connection's search path).
/// Idempotent; run by the operator or the installer, never by a store's constructor.
/// </summary>
public static class PostgresSchema
{
    private const string CreateV1 = """
        CREATE TABLE IF NOT EXISTS journal (
            ordering       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            persistence_id TEXT   NOT NULL,
            sequence_nr    BIGINT NOT NULL,
            manifest       TEXT   NOT NULL,
            payload        BYTEA  NOT NULL,
            timestamp      BIGINT NOT NULL,
            tags           TEXT   NULL,
            CONSTRAINT journal_persistence_id_sequence_nr UNIQUE (persistence_id, sequence_nr)
        );
        CREATE TABLE IF NOT EXISTS journal_metadata (
            persistence_id  TEXT   NOT NULL PRIMARY KEY,
            max_sequence_nr BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS snapshot (
            persistence_id TEXT   NOT NULL,
            sequence_nr    BIGINT NOT NULL,
            manifest       TEXT   NOT NULL,
            payload        BYTEA  NOT NULL,
            timestamp      BIGINT NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        );
        CREATE TABLE IF NOT EXISTS journal_schema_version (
            version    INT    NOT NULL PRIMARY KEY,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        );
        INSERT INTO journal_schema_version (version) VALUES (1) ON CONFLICT (version) DO NOTHING;
        """;

    // Version 2 changes no table: from it on the database is shared, each host's persistence ids carry
    // its node ("NODE/cluster", see NodeScope). The version row keeps an older haven, which would write
    // unscoped ids, from opening a database that hosts already share.
    private const string MarkV2 =
        "INSERT INTO journal_schema_version (version) VALUES (2) ON CONFLICT (version) DO NOTHING;";

    /// <summary>Creates or upgrades the schema; one transaction, so a failure leaves nothing half-made.</summary>
    public static async Task MigrateAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var where = PostgresDatabase.Describe(connectionString);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await PostgresDatabase.Connect(dataSource, where, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // Two installers migrating at once must not race on CREATE TABLE IF NOT EXISTS.
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresDatabase.MigrationLockKey})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(CreateV1 + "\n" + MarkV2, connection, transaction))
        {
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex)
            {
                throw new InvalidOperationException($"cannot migrate journal database {where}: {ex.MessageText}", ex);
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}
