using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.Sqlite;

/// <summary>
/// The explicit migration step for a Haven SQLite database (journal + snapshots in one file). Creates
/// the file, switches it to WAL and creates tables and indexes; safe to run again. Stores never do DDL.
/// </summary>
public static class SqliteSchema
{
    private const string CreateV1 = """
        CREATE TABLE IF NOT EXISTS journal (
            ordering       INTEGER PRIMARY KEY AUTOINCREMENT,
            persistence_id TEXT    NOT NULL,
            sequence_nr    INTEGER NOT NULL,
            manifest       TEXT    NOT NULL,
            payload        BLOB    NOT NULL,
            timestamp      INTEGER NOT NULL,
            tags           TEXT    NULL,
            CONSTRAINT journal_persistence_id_sequence_nr UNIQUE (persistence_id, sequence_nr)
        );
        CREATE TABLE IF NOT EXISTS journal_metadata (
            persistence_id  TEXT    NOT NULL PRIMARY KEY,
            max_sequence_nr INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS snapshot (
            persistence_id TEXT    NOT NULL,
            sequence_nr    INTEGER NOT NULL,
            manifest       TEXT    NOT NULL,
            payload        BLOB    NOT NULL,
            timestamp      INTEGER NOT NULL,
            PRIMARY KEY (persistence_id, sequence_nr)
        );
        """;

    /// <summary>Creates or upgrades the schema in the database file at <paramref name="path"/> (the folder must exist).</summary>
    public static Task MigrateAsync(string path, CancellationToken cancellationToken = default)
    {
        var fullPath = SqliteDatabase.FullPath(path);
        SqliteDatabase.CheckDirectory(fullPath);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = SqliteDatabase.Open(fullPath,
            SqliteDatabase.ConnectionString(fullPath, SqliteOpenMode.ReadWriteCreate));
        try
        {
            var version = Convert.ToInt64(SqliteDatabase.Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
            if (version > SqliteDatabase.SchemaVersion)
                throw new InvalidOperationException(
                    $"journal schema in {fullPath} is version {version}, newer than this build supports ({SqliteDatabase.SchemaVersion})");
            var mode = SqliteDatabase.Scalar(connection, "PRAGMA journal_mode = WAL") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"cannot switch journal database {fullPath} to WAL mode (got '{mode}')");
            using var transaction = connection.BeginTransaction();
            SqliteDatabase.Execute(connection, CreateV1, transaction);
            SqliteDatabase.Execute(connection, $"PRAGMA user_version = {SqliteDatabase.SchemaVersion}", transaction);
            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw new IOException($"cannot migrate journal database {fullPath}: {ex.Message}", ex);
        }
        finally
        {
            SqliteConnection.ClearPool(connection);
        }
        return Task.CompletedTask;
    }
}
