using System.Data.Common;

namespace Haven.Adapters.Persistence.AkkaSql;

public enum AkkaMigrationOutcome
{
    /// <summary>Haven's journal and snapshots were copied into the plugin's tables, in one transaction.</summary>
    Migrated,

    /// <summary>The migration record says it was done; nothing changed.</summary>
    AlreadyMigrated,

    /// <summary>There is no Haven journal to copy; the record is written so a later run does nothing.</summary>
    NothingToMigrate,
}

public sealed record AkkaMigrationResult(AkkaMigrationOutcome Outcome, long Events, long Snapshots, long Tombstones, string Message);

/// <summary>
/// The one-time copy of Haven's journal (the <c>journal</c>, <c>journal_metadata</c> and <c>snapshot</c> tables the
/// current release writes) into Akka.Persistence.Sql's tables of the same host: persistence ids (a PostgreSQL
/// node's "NODE/" prefix taken off, since its tables are its own), sequence numbers, manifests and payload bytes
/// unchanged, rows in Haven's order, tags into the plugin's tag table, snapshots with their sequence numbers.
/// A persistence id whose highest sequence number survives only in <c>journal_metadata</c> (every event deleted)
/// gets a deleted row at that number, so Akka goes on from it instead of reusing sequence numbers.
/// <para>One transaction, ended by a row in <c>…migration</c>: a second run does nothing. It refuses, changing
/// nothing, when the plugin's tables already hold rows without that record (written by something else, or a
/// foreign database), when the <c>journal</c> table is not Haven's, or when Haven's journal gained events after the
/// migration (an older haven ran on it again). Run it after the plugin made its tables
/// (<see cref="AkkaPersistenceStart.InitializeAsync"/>) and before any persistent actor starts.</para>
/// </summary>
public static partial class AkkaJournalMigration
{
    /// <summary>The writer id of every migrated row.</summary>
    public const string WriterUuid = "haven-migration";

    public static Task<AkkaMigrationResult> RunAsync(AkkaPersistenceSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        return settings.Engine == AkkaSqlEngine.Sqlite
            ? RunSqliteAsync(settings, cancellationToken)
            : RunPostgresAsync(settings, cancellationToken);
    }

    /// <summary>What differs between SQLite and PostgreSQL; the statements that copy are built from it.</summary>
    private sealed record Dialect(
        string Where,
        string TableExistsSql,
        string ColumnsSql,
        string SchemaVersionSql,
        long SchemaVersion,
        Func<string, string> ScopeOf,
        Func<string, string> StoredIdOf,
        Func<string, string> TagValues,
        NodeScope? NodeScope)
    {
        /// <summary>The filter to this host's rows (all rows in a SQLite file).</summary>
        public string Scope => ScopeOf("persistence_id");

        /// <summary>The id as the host's actors know it.</summary>
        public string StoredId => StoredIdOf("persistence_id");
    }

    private static readonly string[] HavenJournalColumns = ["ordering", "persistence_id", "sequence_nr", "manifest", "payload", "timestamp", "tags"];

    private static async Task<AkkaMigrationResult> MigrateAsync(DbConnection connection, DbTransaction transaction, AkkaPersistenceSettings s,
        Dialect d, CancellationToken ct)
    {
        var run = new Sql(connection, transaction, ct);
        foreach (var table in new[] { s.JournalTable, s.TagTable, s.SnapshotTable })
            if (!await TableExistsAsync(run, d, table))
                throw new InvalidOperationException(
                    $"cannot migrate {d.Where}: the Akka.Persistence.Sql table {table} does not exist; start the plugin first (AkkaPersistenceStart.InitializeAsync)");
        var marker = Q(s.TablePrefix + "migration");
        await run.ExecuteAsync($"CREATE TABLE IF NOT EXISTS {marker} (source TEXT NOT NULL PRIMARY KEY, events BIGINT NOT NULL, " +
            "snapshots BIGINT NOT NULL, tombstones BIGINT NOT NULL, source_max_ordering BIGINT NOT NULL, migrated_at_ticks BIGINT NOT NULL)");
        var source = await HavenSourceAsync(run, d);
        var sourceMax = source ? await run.LongAsync($"SELECT coalesce(max(ordering), 0) FROM journal WHERE {d.Scope}", Scoped(d)) : 0;
        var done = await run.RowAsync($"SELECT events, snapshots, tombstones, source_max_ordering FROM {marker} WHERE source = 'haven'");
        if (done is { } m)
        {
            if (sourceMax > m[3])
                throw new InvalidOperationException(
                    $"cannot use {d.Where}: Haven's journal gained events (ordering {m[3] + 1}..{sourceMax}) after it was migrated to Akka.Persistence.Sql; " +
                    "an older haven wrote to it again, and those events are not in the Akka journal");
            return new(AkkaMigrationOutcome.AlreadyMigrated, m[0], m[1], m[2], $"{d.Where} was migrated before ({m[0]} events, {m[1]} snapshots); nothing to do");
        }
        var present = await run.LongAsync($"SELECT count(*) FROM {Q(s.JournalTable)}") + await run.LongAsync($"SELECT count(*) FROM {Q(s.SnapshotTable)}");
        if (present > 0)
            throw new InvalidOperationException(
                $"cannot migrate {d.Where}: the Akka.Persistence.Sql tables {s.JournalTable}/{s.SnapshotTable} already hold {present} rows but no migration " +
                "record: they are partly migrated or were written by something else; nothing was changed");
        long events = 0, snapshots = 0, tombstones = 0;
        if (source)
        {
            var ids = Scoped(d, ("@id", (object)HavenJsonAkkaSerializer.Id), ("@writer", WriterUuid), ("@false", false), ("@true", true));
            events = await run.ExecuteAsync(
                $"INSERT INTO {Q(s.JournalTable)} (deleted, persistence_id, sequence_number, created, message, identifier, manifest, writer_uuid) " +
                $"SELECT @false, {d.StoredId}, sequence_nr, timestamp, payload, @id, manifest, @writer FROM journal WHERE {d.Scope} ORDER BY ordering", ids);
            await run.ExecuteAsync(
                $"INSERT INTO {Q(s.TagTable)} (ordering_id, tag, persistence_id, sequence_nr) " +
                $"SELECT a.ordering, t.value, a.persistence_id, a.sequence_number FROM journal h CROSS JOIN {d.TagValues("h.tags")} " +
                $"JOIN {Q(s.JournalTable)} a ON a.persistence_id = {d.StoredIdOf("h.persistence_id")} AND a.sequence_number = h.sequence_nr " +
                $"WHERE h.tags IS NOT NULL AND {d.ScopeOf("h.persistence_id")} ORDER BY a.ordering", ids);
            tombstones = await run.ExecuteAsync(
                $"INSERT INTO {Q(s.JournalTable)} (deleted, persistence_id, sequence_number, created, message, identifier, manifest, writer_uuid) " +
                $"SELECT @true, {d.StoredId}, max_sequence_nr, 0, @empty, @id, '', @writer FROM journal_metadata m WHERE {d.Scope} AND max_sequence_nr > " +
                "coalesce((SELECT max(j.sequence_nr) FROM journal j WHERE j.persistence_id = m.persistence_id), 0)",
                [.. ids, ("@empty", Array.Empty<byte>())]);
            snapshots = await CopySnapshotsAsync(run, s, d);
            var copied = await run.LongAsync($"SELECT count(*) FROM {Q(s.JournalTable)} WHERE deleted = @false", ids);
            var expected = await run.LongAsync($"SELECT count(*) FROM journal WHERE {d.Scope}", Scoped(d));
            if (copied != expected || copied != events)
                throw new InvalidOperationException($"migration of {d.Where} copied {copied} events of {expected}; rolled back");
        }
        await run.ExecuteAsync(
            $"INSERT INTO {marker} (source, events, snapshots, tombstones, source_max_ordering, migrated_at_ticks) VALUES ('haven', @e, @s, @t, @max, @at)",
            [("@e", events), ("@s", snapshots), ("@t", tombstones), ("@max", sourceMax), ("@at", DateTime.UtcNow.Ticks)]);
        await transaction.CommitAsync(ct).ConfigureAwait(false);
        return source
            ? new(AkkaMigrationOutcome.Migrated, events, snapshots, tombstones,
                $"{d.Where}: {events} events and {snapshots} snapshots copied from Haven's journal into {s.JournalTable}/{s.SnapshotTable}")
            : new(AkkaMigrationOutcome.NothingToMigrate, 0, 0, 0, $"{d.Where} holds no Haven journal; nothing to migrate");
    }

    /// <summary>Whether Haven's journal is there; throws when a <c>journal</c> table is there that is not Haven's.</summary>
    private static async Task<bool> HavenSourceAsync(Sql run, Dialect d)
    {
        if (!await TableExistsAsync(run, d, "journal")) return false;
        var columns = await run.StringsAsync(d.ColumnsSql, [("@name", "journal")]);
        var missing = HavenJournalColumns.Except(columns, StringComparer.Ordinal).ToArray();
        if (missing.Length > 0 || !await TableExistsAsync(run, d, "journal_metadata") || !await TableExistsAsync(run, d, "snapshot"))
            throw new InvalidOperationException(
                $"cannot migrate {d.Where}: its journal table is not Haven's (columns {string.Join(", ", columns.Order(StringComparer.Ordinal))}" +
                (missing.Length > 0 ? $"; missing {string.Join(", ", missing)}" : "; journal_metadata or snapshot missing") + "); nothing was changed");
        var version = await run.LongAsync(d.SchemaVersionSql);
        if (version != d.SchemaVersion)
            throw new InvalidOperationException(
                $"cannot migrate {d.Where}: Haven's journal schema is version {version}, the migration reads version {d.SchemaVersion}: " +
                "start the current haven on it once first (it upgrades the schema), then migrate");
        return true;
    }

    private static async Task<bool> TableExistsAsync(Sql run, Dialect d, string table) =>
        await run.LongAsync(d.TableExistsSql, [("@name", table)]) > 0;

    private static (string, object)[] Scoped(Dialect d, params (string, object)[] more) => d.NodeScope is { } scope
        ? [("@prefix", scope.Prefix), ("@plen", (long)scope.Prefix.Length), .. more]
        : more;

    internal static string Q(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
