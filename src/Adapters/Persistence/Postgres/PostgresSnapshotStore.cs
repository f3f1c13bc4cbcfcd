using System.Data.Common;
using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>Snapshot store in a migrated PostgreSQL database; open with <see cref="OpenAsync"/>.</summary>
public sealed class PostgresSnapshotStore : SqlSnapshotStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _where;

    private PostgresSnapshotStore(NpgsqlDataSource dataSource, string where)
    {
        _dataSource = dataSource;
        _where = where;
    }

    public static async Task<PostgresSnapshotStore> OpenAsync(string connectionString, CancellationToken cancellationToken = default)
    {
        var dataSource = await PostgresDatabase.OpenMigratedAsync(connectionString, cancellationToken).ConfigureAwait(false);
        return new PostgresSnapshotStore(dataSource, PostgresDatabase.Describe(connectionString));
    }

    protected override async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await PostgresDatabase.Connect(_dataSource, _where, cancellationToken).ConfigureAwait(false);

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
