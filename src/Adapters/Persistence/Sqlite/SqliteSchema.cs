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
            if (version > 0) CheckIntact(connection, fullPath);
            var mode = SqliteDatabase.Scalar(connection, "PRAGMA journal_mode = WAL") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"cannot switch journal database {fullPath} to WAL mode (got '{mode}')");
            using var transaction = connection.BeginTransaction();
            SqliteDatabase.Execute(connection, CreateV1, transaction);
            SqliteDatabase.Execute(connection, $"PRAGMA user_version = {SqliteDatabase.SchemaVersion}", transaction);
            transaction.Commit();
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase)
        {
            throw Damaged(fullPath, ex.Message, ex);
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

    /// <summary>
    /// An existing database is checked before it is used (SQLite's quick_check: every page and b-tree well formed): a
    /// damaged file (bytes overwritten by a disk or an operator; SQLite's "malformed" or "not a database" on the way) is
    /// refused with <see cref="InvalidDataException"/>
    /// naming the file and what SQLite found, and nothing is written to it; the daemon would otherwise fail somewhere in
    /// its start on the first damaged page it reads.
    /// </summary>
    private static void CheckIntact(SqliteConnection connection, string fullPath)
    {
        var problems = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA quick_check(5)";
            using var reader = command.ExecuteReader();
            while (reader.Read()) problems.Add(reader.GetString(0));
        }
        if (problems is ["ok"]) return;
        throw Damaged(fullPath, $"SQLite quick_check: {string.Join("; ", problems)}", null);
    }

    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;

    private static InvalidDataException Damaged(string fullPath, string found, Exception? inner) =>
        new($"journal {fullPath} is damaged ({found.ReplaceLineEndings(" ").TrimEnd('.')}); "
            + "nothing was changed: restore it from a backup, or move it away to start a fresh journal", inner);
}
