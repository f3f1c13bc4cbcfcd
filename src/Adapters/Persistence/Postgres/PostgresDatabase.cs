using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>Opening a Haven PostgreSQL database: data source, schema check, errors that name the database.</summary>
internal static class PostgresDatabase
{
    public const int SchemaVersion = 2;
    /// <summary>The advisory lock key under which migrations and adoptions serialize.</summary>
    public const long MigrationLockKey = 7390001;
    public const string UniqueViolation = "23505";
    private const string UndefinedTable = "42P01";

    /// <summary>"host:port/database" — enough to find the database, never the password.</summary>
    public static string Describe(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var schema = string.IsNullOrEmpty(b.SearchPath) ? "" : $" (search path {b.SearchPath})";
        return $"{b.Host}:{b.Port}/{b.Database}{schema}";
    }

    /// <summary>Creates a data source and checks the schema was migrated; disposes it again on failure.</summary>
    public static async Task<NpgsqlDataSource> OpenMigratedAsync(string connectionString, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var where = Describe(connectionString);
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using var connection = await Connect(dataSource, where, cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT max(version) FROM journal_schema_version", connection);
            object? version;
            try
            {
                version = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == UndefinedTable)
            {
                throw new InvalidOperationException(
                    $"journal schema missing in {where}: run the migration (PostgresSchema.MigrateAsync) first", ex);
            }
            var v = version is null or DBNull ? 0 : Convert.ToInt32(version, System.Globalization.CultureInfo.InvariantCulture);
            if (v != SchemaVersion)
                throw new InvalidOperationException(
                    $"journal schema in {where} is version {v}, this build needs {SchemaVersion}: run the migration or upgrade haven");
            return dataSource;
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static async Task<NpgsqlConnection> Connect(NpgsqlDataSource dataSource, string where, CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new IOException($"cannot connect to journal database {where}: {ex.Message}", ex);
        }
    }
}
