using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.Sqlite;

/// <summary>
/// Opening a Haven SQLite database: path checks with clear errors, per-connection durability pragmas
/// (synchronous=FULL, busy timeout) and the schema check. Never creates a table.
/// </summary>
internal static class SqliteDatabase
{
    public const int SchemaVersion = 1;
    public const int BusyTimeoutMs = 5000;

    public static string FullPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Path.GetFullPath(path);
    }

    public static string ConnectionString(string fullPath, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = fullPath,
        Mode = mode,
        Cache = SqliteCacheMode.Private,
        Pooling = true,
        DefaultTimeout = BusyTimeoutMs / 1000,
    }.ToString();

    /// <summary>Throws a clear error when the folder that should hold the database is missing or not a folder.</summary>
    public static void CheckDirectory(string fullPath)
    {
        var directory = Path.GetDirectoryName(fullPath) ?? "/";
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(
                $"cannot use journal database {fullPath}: directory {directory} does not exist (or is not a directory)");
    }

    /// <summary>Opens a connection to an existing, migrated database and applies the durability pragmas.</summary>
    public static SqliteConnection OpenMigrated(string fullPath, string connectionString)
    {
        var connection = Open(fullPath, connectionString);
        try
        {
            var version = Convert.ToInt64(Scalar(connection, "PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
            if (version == 0)
                throw new InvalidOperationException(
                    $"journal schema missing in {fullPath}: run the migration (SqliteSchema.MigrateAsync) first");
            if (version > SchemaVersion)
                throw new InvalidOperationException(
                    $"journal schema in {fullPath} is version {version}, newer than this build supports ({SchemaVersion}): upgrade haven");
            if (version < SchemaVersion)
                throw new InvalidOperationException(
                    $"journal schema in {fullPath} is version {version}, older than {SchemaVersion}: run the migration");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Opens a connection with synchronous=FULL and the busy timeout; wraps failures with the path.</summary>
    public static SqliteConnection Open(string fullPath, string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Execute(connection, $"PRAGMA synchronous = FULL; PRAGMA busy_timeout = {BusyTimeoutMs};");
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new IOException($"cannot open journal database {fullPath}: {ex.Message}", ex);
        }
    }

    /// <summary>The error for opening a store whose file does not exist yet.</summary>
    public static void CheckExists(string fullPath)
    {
        CheckDirectory(fullPath);
        if (!File.Exists(fullPath))
            throw new InvalidOperationException(
                $"journal schema missing in {fullPath}: the file does not exist; run the migration (SqliteSchema.MigrateAsync) first");
    }

    public static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }
}
