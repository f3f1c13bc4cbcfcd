using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>
/// One daemon per node name per database: a session-level advisory lock on a hash of
/// "haven-journal/NODE" (and the journal's schema), held on a dedicated unpooled connection for the daemon's lifetime and released
/// on dispose (or by the server when the session ends, so a killed daemon leaves no stale lock).
/// </summary>
public sealed class PostgresNodeLock : IAsyncDisposable
{
    // Advisory locks are per database; the key also names the schema that holds the journal tables, so
    // separate journals in separate schemas of one database do not block each other.
    private const string LockKey = "hashtextextended(@key || ' in ' || coalesce(current_schema(), ''), 0)";
    private const string TryLockSql = $"SELECT pg_try_advisory_lock({LockKey})";
    private const string UnlockSql = $"SELECT pg_advisory_unlock({LockKey})";

    private readonly NpgsqlConnection _connection;
    private readonly string _key;

    private PostgresNodeLock(NpgsqlConnection connection, string node, string key, string where)
    {
        (_connection, Node, _key, Where) = (connection, node, key, where);
    }

    public string Node { get; }

    /// <summary>"host:port/database" of the locked database.</summary>
    public string Where { get; }

    /// <summary>The lock's key text for a node (its 64-bit hash is the advisory lock key).</summary>
    public static string KeyFor(string node) => "haven-journal/" + node;

    /// <summary>
    /// Takes the node's lock at once or fails: <see cref="InvalidOperationException"/> naming the node and
    /// the database when another session holds it, <see cref="IOException"/> when the database is unreachable.
    /// </summary>
    public static async Task<PostgresNodeLock> AcquireAsync(string connectionString, string node, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var scope = new NodeScope(node); // validates the name
        var where = PostgresDatabase.Describe(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = $"haven {scope.Node}";
        var connection = new NpgsqlConnection(builder.ToString());
        try
        {
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
            {
                throw new IOException($"cannot connect to journal database {where}: {ex.Message}", ex);
            }
            var key = KeyFor(scope.Node);
            await using var command = new NpgsqlCommand(TryLockSql, connection);
            command.Parameters.AddWithValue("key", key);
            if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
                throw new InvalidOperationException(
                    $"another haven daemon named {scope.Node} is already using the journal database {where} " +
                    $"(it holds the advisory lock \"{key}\"): stop it, or give this host its own haven.cluster.node-name");
            return new PostgresNodeLock(connection, scope.Node, key, where);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Releases the lock and closes its session (closing alone would release it too).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand(UnlockSql, _connection);
            command.Parameters.AddWithValue("key", _key);
            await command.ExecuteScalarAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            // the session is gone (server restart, network): the server released the lock with it
        }
        finally
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
