using System.Data.Common;
using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>Connections to a migrated PostgreSQL database through one pooled data source.</summary>
internal sealed class PostgresConnections(NpgsqlDataSource dataSource, string where) : ISqlConnections
{
    /// <summary>"host:port/database", for messages.</summary>
    public string Where { get; } = where;

    public static async Task<PostgresConnections> OpenMigratedAsync(string connectionString, CancellationToken cancellationToken)
    {
        var dataSource = await PostgresDatabase.OpenMigratedAsync(connectionString, cancellationToken).ConfigureAwait(false);
        return new PostgresConnections(dataSource, PostgresDatabase.Describe(connectionString));
    }

    public Task<NpgsqlConnection> OpenNpgsqlAsync(CancellationToken cancellationToken) =>
        PostgresDatabase.Connect(dataSource, Where, cancellationToken);

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await OpenNpgsqlAsync(cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();
}
