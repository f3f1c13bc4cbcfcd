using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Haven.Adapters.Persistence.Sqlite;

/// <summary>Pooled connections to one migrated SQLite file; every connection gets the durability pragmas.</summary>
internal sealed class SqliteConnections : ISqlConnections
{
    private readonly string _connectionString;
    private volatile bool _disposed;

    private SqliteConnections(string fullPath, string connectionString)
    {
        FullPath = fullPath;
        _connectionString = connectionString;
    }

    public string FullPath { get; }

    /// <summary>Checks the file exists and was migrated (clear errors naming it) and returns its connections.</summary>
    public static SqliteConnections OpenMigrated(string path, CancellationToken cancellationToken)
    {
        var fullPath = SqliteDatabase.FullPath(path);
        SqliteDatabase.CheckExists(fullPath);
        cancellationToken.ThrowIfCancellationRequested();
        var connectionString = SqliteDatabase.ConnectionString(fullPath, SqliteOpenMode.ReadWrite);
        using (SqliteDatabase.OpenMigrated(fullPath, connectionString)) { }
        return new SqliteConnections(fullPath, connectionString);
    }

    public SqliteConnection Open()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return SqliteDatabase.Open(FullPath, _connectionString);
    }

    public ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<DbConnection>(Open());
    }

    public ValueTask DisposeAsync()
    {
        if (_disposed) return ValueTask.CompletedTask;
        _disposed = true;
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }
}
