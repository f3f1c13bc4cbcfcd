using System.Data.Common;

namespace Haven.Adapters.Persistence;

/// <summary>Where a SQL store gets its connections (a SQLite file or a PostgreSQL data source).</summary>
public interface ISqlConnections : IAsyncDisposable
{
    /// <summary>Opens a connection ready for use; the caller disposes it. Errors name the database.</summary>
    ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);
}

/// <summary>One-statement helpers over <see cref="ISqlConnections"/> with named (@) parameters.</summary>
internal static class SqlStatements
{
    public static async Task<long> ScalarLongAsync(this ISqlConnections connections, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Prepare(connection, sql, parameters);
        var scalar = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return ToLong(scalar);
    }

    public static async Task ExecuteAsync(this ISqlConnections connections, string sql,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Prepare(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static DbCommand Prepare(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            command.Parameters.Add(p);
        }
        return command;
    }

    /// <summary>A scalar that may be NULL or missing (no row) as a long; 0 for none.</summary>
    public static long ToLong(object? scalar) =>
        scalar is null or DBNull ? 0 : Convert.ToInt64(scalar, System.Globalization.CultureInfo.InvariantCulture);
}
