using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.AkkaSql;

/// <summary>
/// The SQLite file under Akka.Persistence.Sql, readied before the plugin opens it. The plugin has no pragma
/// settings and would leave a new file in rollback (DELETE) mode; WAL is a property of the file, so it is set here
/// once and every later connection, the plugin's included, gets it. Durability is the per-connection
/// <c>synchronous</c> setting, which the plugin leaves at SQLite's default, FULL: in WAL mode every commit is
/// fsynced before Akka acknowledges the Persist (NORMAL would fsync only at checkpoints and lose the last
/// acknowledged events on power loss; see docs/akka.md for the figures).
/// </summary>
public static class AkkaSqliteFile
{
    /// <summary>
    /// Creates the file if missing (its folder must exist) and puts it in WAL mode. Creates no table: the plugin does
    /// at start (auto-initialize), and the migration runs after that.
    /// </summary>
    public static void Prepare(string path)
    {
        var fullPath = Sqlite.SqliteDatabase.FullPath(path);
        Sqlite.SqliteDatabase.CheckDirectory(fullPath);
        var create = Sqlite.SqliteDatabase.ConnectionString(fullPath, SqliteOpenMode.ReadWriteCreate);
        using var connection = Sqlite.SqliteDatabase.Open(fullPath, create);
        try
        {
            var mode = Sqlite.SqliteDatabase.Scalar(connection, "PRAGMA journal_mode = WAL") as string;
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                throw new IOException($"cannot switch journal database {fullPath} to WAL mode (got '{mode}')");
        }
        finally
        {
            SqliteConnection.ClearPool(connection);
        }
    }

    /// <summary>The journal mode and synchronous level a connection opened like the plugin's sees (for checks and the bench).</summary>
    public static (string JournalMode, long Synchronous) Inspect(string path)
    {
        var fullPath = Sqlite.SqliteDatabase.FullPath(path);
        using var connection = new SqliteConnection(AkkaPersistenceConfig.ConnectionString(
            new AkkaPersistenceSettings { Engine = AkkaSqlEngine.Sqlite, Database = fullPath, Node = "inspect" }));
        connection.Open();
        try
        {
            var mode = (string)Sqlite.SqliteDatabase.Scalar(connection, "PRAGMA journal_mode")!;
            var synchronous = Convert.ToInt64(Sqlite.SqliteDatabase.Scalar(connection, "PRAGMA synchronous"), System.Globalization.CultureInfo.InvariantCulture);
            return (mode, synchronous);
        }
        finally
        {
            SqliteConnection.ClearPool(connection);
        }
    }
}
