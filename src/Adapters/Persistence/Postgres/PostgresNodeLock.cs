using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Haven.Adapters.Persistence.Postgres;

/// <summary>Where a node's journal lock stands: held, being taken again after its connection dropped, or taken by another daemon.</summary>
public enum NodeLockState
{
    Held,
    Retaking,
    Lost,
}

/// <summary>
/// One daemon per node name per database: a session-level advisory lock on a hash of
/// "haven-journal/NODE" (and the journal's schema), held on a dedicated unpooled connection for the daemon's lifetime and released
/// on dispose (or by the server when the session ends, so a killed daemon leaves no stale lock).
/// The server also releases it, silently, when that connection drops; <see cref="Watch"/> (or
/// <see cref="CheckAsync"/>) notices, reconnects and takes it again, or completes <see cref="Lost"/> when
/// another session took it first.
/// </summary>
public sealed class PostgresNodeLock : IAsyncDisposable
{
    /// <summary>How often <see cref="Watch"/> checks the lock unless told otherwise.</summary>
    public static readonly TimeSpan DefaultCheckInterval = TimeSpan.FromSeconds(5);

    // Advisory locks are per database; the key also names the schema that holds the journal tables, so
    // separate journals in separate schemas of one database do not block each other.
    private const string LockKey = "hashtextextended(@key || ' in ' || coalesce(current_schema(), ''), 0)";
    private const string TryLockSql = $"SELECT pg_try_advisory_lock({LockKey})";
    private const string UnlockSql = $"SELECT pg_advisory_unlock({LockKey})";

    // A bigint advisory lock shows in pg_locks as classid (high 32 bits), objid (low 32 bits) and objsubid 1.
    private const string HeldSql = "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() " +
        $"AND granted AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = {LockKey})";

    private readonly string _connectionString;
    private readonly string _key;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TaskCompletionSource<string> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private NpgsqlConnection? _connection;
    private ILogger _log = NullLogger.Instance;
    private Task _watch = Task.CompletedTask;
    private volatile NodeLockState _state = NodeLockState.Held;
    private bool _disposed;
    private bool _reportedOutage; // the database was unreachable at the last check: log the outage once

    private PostgresNodeLock(NpgsqlConnection connection, string connectionString, string node, string key, string where)
    {
        (_connection, _connectionString, Node, _key, Where) = (connection, connectionString, node, key, where);
    }

    public string Node { get; }

    /// <summary>"host:port/database" of the locked database.</summary>
    public string Where { get; }

    /// <summary>The lock's key text (its 64-bit hash with the schema is the advisory lock key).</summary>
    public string Key => _key;

    /// <summary>The state after the last check.</summary>
    public NodeLockState State => _state;

    /// <summary>
    /// Completes, with the reason, when another session took the lock while this one's connection was down:
    /// from then on this daemon must not write. Never completes otherwise.
    /// </summary>
    public Task<string> Lost => _lost.Task;

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
        var dedicated = builder.ToString();
        var key = KeyFor(scope.Node);
        NpgsqlConnection connection;
        try
        {
            connection = await OpenAsync(dedicated, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            throw new IOException($"cannot connect to journal database {where}: {ex.Message}", ex);
        }
        try
        {
            if (!await TryLockAsync(connection, key, cancellationToken).ConfigureAwait(false))
                throw new InvalidOperationException(
                    $"another haven daemon named {scope.Node} is already using the journal database {where} " +
                    $"(it holds the advisory lock \"{key}\"): stop it, or give this host its own haven.cluster.node-name");
            return new PostgresNodeLock(connection, dedicated, scope.Node, key, where);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Checks the lock every <paramref name="interval"/> (default <see cref="DefaultCheckInterval"/>) on
    /// <paramref name="time"/> until dispose or <see cref="Lost"/>. Call once.
    /// </summary>
    public void Watch(TimeProvider time, ILogger log, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(log);
        var period = interval ?? DefaultCheckInterval;
        if (period <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), period, "the journal lock's check interval must be positive");
        if (!_watch.IsCompleted) throw new InvalidOperationException($"the journal lock of {Node} is watched already");
        _log = log;
        _watch = WatchAsync(new PeriodicTimer(period, time), _stop.Token);
    }

    private async Task WatchAsync(PeriodicTimer timer, CancellationToken ct)
    {
        using var _ = timer;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    if (await CheckAsync(ct).ConfigureAwait(false) == NodeLockState.Lost) return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    _log.LogError(ex, "Journal lock {Key} of {Node}: the check failed; trying again at the next one", _key, Node);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Checks now that the dedicated connection is alive and still holds the lock; when it is not, reconnects and
    /// takes the lock again. Returns the state after the check. Lost is final.
    /// </summary>
    public async Task<NodeLockState> CheckAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state == NodeLockState.Lost) return _state;
            if (_connection is { } connection)
            {
                try
                {
                    if (await HeldAsync(connection, cancellationToken).ConfigureAwait(false)) return _state = NodeLockState.Held;
                    _log.LogWarning("Journal lock {Key} of {Node} in {Database} is no longer held by its session; taking it again", _key, Node, Where);
                }
                catch (Exception ex) when (IsConnectionFailure(ex, cancellationToken))
                {
                    await DropConnectionAsync(ex).ConfigureAwait(false);
                }
            }
            return _state = await RetakeAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DropConnectionAsync(Exception why)
    {
        _log.LogWarning("Journal lock {Key} of {Node} lost its connection to {Database} (the server released the lock with it): {Reason}; taking it again",
            _key, Node, Where, why.Message);
        var old = _connection!;
        _connection = null;
        _state = NodeLockState.Retaking;
        await old.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<NodeLockState> RetakeAsync(CancellationToken ct)
    {
        try
        {
            _connection ??= await OpenAsync(_connectionString, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex, ct))
        {
            if (!_reportedOutage)
                _log.LogWarning("Journal lock {Key} of {Node}: {Database} is unreachable ({Reason}); retrying at every check until it answers",
                    _key, Node, Where, ex.Message);
            _reportedOutage = true;
            return NodeLockState.Retaking;
        }
        _reportedOutage = false;
        try
        {
            if (await TryLockAsync(_connection, _key, ct).ConfigureAwait(false))
            {
                _log.LogWarning("Journal lock for node {Node} was lost with its connection and taken again in {Database}", Node, Where);
                return NodeLockState.Held;
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex, ct))
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
            return NodeLockState.Retaking;
        }
        var reason = $"another haven daemon named {Node} took the journal lock \"{_key}\" in {Where} while this one's connection was down; stopping";
        _log.LogError("Journal lock lost: {Reason}", reason);
        _state = NodeLockState.Lost; // before Lost completes, so whoever wakes on it reads Lost
        _lost.TrySetResult(reason);
        return NodeLockState.Lost;
    }

    private static bool IsConnectionFailure(Exception ex, CancellationToken ct) =>
        ex is NpgsqlException or System.Net.Sockets.SocketException or IOException or InvalidOperationException or TimeoutException
        || (ex is OperationCanceledException && !ct.IsCancellationRequested);

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken ct)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection connection, string key, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(TryLockSql, connection);
        command.Parameters.AddWithValue("key", key);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    private async Task<bool> HeldAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(HeldSql, connection);
        command.Parameters.AddWithValue("key", _key);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false) is true;
    }

    /// <summary>Stops the watch, releases the lock and closes its session (closing alone would release it too).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (_connection is not { } connection) return;
            try
            {
                if (_state != NodeLockState.Lost)
                {
                    await using var command = new NpgsqlCommand(UnlockSql, connection);
                    command.Parameters.AddWithValue("key", _key);
                    await command.ExecuteScalarAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException or IOException)
            {
                // the session is gone (server restart, network): the server released the lock with it
            }
            finally
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }
        }
        finally
        {
            _gate.Release();
        }
    }
}
