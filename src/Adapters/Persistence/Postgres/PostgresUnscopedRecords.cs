using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>
/// Records a shared PostgreSQL database holds from before persistence ids were scoped by node (schema
/// version 1, one host per database). The host they belong to adopts them once, by renaming their ids
/// to "NODE/id" in one transaction; <see cref="UnscopedAdoption.Decide"/> says when that is safe.
/// </summary>
public static class PostgresUnscopedRecords
{
    private const string Unscoped = "strpos(persistence_id, '/') = 0";
    private const string UnscopedIdsSql =
        $"SELECT persistence_id FROM journal_metadata WHERE {Unscoped} UNION SELECT persistence_id FROM snapshot WHERE {Unscoped}";
    private const string ScopeHasRecordsSql =
        "SELECT EXISTS (SELECT 1 FROM journal_metadata WHERE substr(persistence_id, 1, @plen) = @prefix) " +
        "OR EXISTS (SELECT 1 FROM snapshot WHERE substr(persistence_id, 1, @plen) = @prefix)";
    private static readonly string[] Tables = ["journal", "journal_metadata", "snapshot"];

    /// <summary>
    /// Adopts the unscoped records for <paramref name="scope"/> when they are provably its own (they
    /// include <paramref name="writerRecordPrefix"/>NODE and no other host's such record) and it has none
    /// of its own yet; otherwise leaves them. Serialized with migrations; run after the migration.
    /// </summary>
    public static async Task<UnscopedAdoption> AdoptAsync(string connectionString, NodeScope scope, string writerRecordPrefix,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(scope);
        await using var dataSource = await PostgresDatabase.OpenMigratedAsync(connectionString, cancellationToken).ConfigureAwait(false);
        var where = PostgresDatabase.Describe(connectionString);
        await using var connection = await PostgresDatabase.Connect(dataSource, where, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresDatabase.MigrationLockKey})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);

        var ids = new List<string>();
        await using (var command = new NpgsqlCommand(UnscopedIdsSql, connection, transaction))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                ids.Add(reader.GetString(0));
        if (ids.Count == 0)
            return UnscopedAdoption.Decide(scope, ids, scopeHasRecords: false, writerRecordPrefix);

        bool scopeHasRecords;
        await using (var command = new NpgsqlCommand(ScopeHasRecordsSql, connection, transaction))
        {
            command.Parameters.AddWithValue("plen", scope.Prefix.Length);
            command.Parameters.AddWithValue("prefix", scope.Prefix);
            scopeHasRecords = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
        }
        var decision = UnscopedAdoption.Decide(scope, ids, scopeHasRecords, writerRecordPrefix);
        if (decision.Outcome != AdoptionOutcome.Adopted) return decision;

        foreach (var table in Tables)
        {
            await using var rename = new NpgsqlCommand(
                $"UPDATE {table} SET persistence_id = @prefix || persistence_id WHERE {Unscoped}", connection, transaction);
            rename.Parameters.AddWithValue("prefix", scope.Prefix);
            await rename.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return decision;
    }
}
