using Haven.Actors.Runtime;
using Haven.Adapters.Persistence.Postgres;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Haven.Adapters.Tests.Persistence;

/// <summary>
/// The node lock's watch against a real server: its session is killed with pg_terminate_backend and the
/// lock is taken again, or found taken by another session (Lost).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresNodeLockWatchTests(PostgresServerFixture server)
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(20);

    /// <summary>A node name no other test uses, so its session is found by application name alone.</summary>
    private static string UniqueNode() => "w" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Kills the lock's session from another connection and waits (bounded) until its backend exited.</summary>
    private async Task TerminateAsync(string node) => Assert.Equal(1L, await server.TerminateLockSessionAsync(node));

    private async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(server.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task CheckAsync_SessionAlive_HeldAndNothingLogged()
    {
        var connectionString = await server.CreateSchemaAsync();
        await using var held = await PostgresNodeLock.AcquireAsync(connectionString, UniqueNode());
        Assert.Equal(NodeLockState.Held, await held.CheckAsync().WaitAsync(Safety));
        Assert.Equal(NodeLockState.Held, held.State);
        Assert.False(held.Lost.IsCompleted);
    }

    [Fact]
    public async Task CheckAsync_SessionKilled_TakesLockAgainAndSecondLockerRefusedAgain()
    {
        var connectionString = await server.CreateSchemaAsync();
        var node = UniqueNode();
        var log = new LinesLogger();
        await using var held = await PostgresNodeLock.AcquireAsync(connectionString, node);
        held.Watch(new VirtualClock(), log);

        await TerminateAsync(node);
        // The server released the lock with the session: a second daemon could take it now.
        await using (var meanwhile = await PostgresNodeLock.AcquireAsync(connectionString, node)) { }

        Assert.Equal(NodeLockState.Held, await held.CheckAsync().WaitAsync(Safety));
        Assert.Contains(log.Lines, l => l.StartsWith("Warning") && l.Contains($"lock for node {node} was lost with its connection and taken again"));
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresNodeLock.AcquireAsync(connectionString, node).WaitAsync(Safety));
        Assert.Contains($"daemon named {node}", ex.Message);
        Assert.Equal(NodeLockState.Held, await held.CheckAsync().WaitAsync(Safety));
        Assert.False(held.Lost.IsCompleted);
    }

    [Fact]
    public async Task CheckAsync_SessionKilledAndAnotherTookLock_LostWithReasonAndOthersLockKept()
    {
        var connectionString = await server.CreateSchemaAsync();
        var node = UniqueNode();
        var log = new LinesLogger();
        var held = await PostgresNodeLock.AcquireAsync(connectionString, node);
        held.Watch(new VirtualClock(), log);

        await TerminateAsync(node);
        await using var other = await PostgresNodeLock.AcquireAsync(connectionString, node);

        Assert.Equal(NodeLockState.Lost, await held.CheckAsync().WaitAsync(Safety));
        var reason = await held.Lost.WaitAsync(Safety);
        Assert.Contains($"another haven daemon named {node} took the journal lock", reason);
        Assert.Contains("while this one's connection was down; stopping", reason);
        Assert.Contains(log.Lines, l => l.StartsWith("Error") && l.Contains(reason));
        Assert.Equal(NodeLockState.Lost, await held.CheckAsync().WaitAsync(Safety)); // final

        await held.DisposeAsync();
        Assert.Equal(NodeLockState.Held, await other.CheckAsync().WaitAsync(Safety)); // disposing the loser released nothing of the winner's
        await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresNodeLock.AcquireAsync(connectionString, node).WaitAsync(Safety));
    }

    [Fact]
    public async Task Watch_TickAfterSessionKilledAndLockTaken_SignalsLostWithoutWaitingRealTime()
    {
        var connectionString = await server.CreateSchemaAsync();
        var node = UniqueNode();
        var clock = new VirtualClock();
        await using var held = await PostgresNodeLock.AcquireAsync(connectionString, node);
        held.Watch(clock, new LinesLogger(), TimeSpan.FromSeconds(5));

        await TerminateAsync(node);
        await using var other = await PostgresNodeLock.AcquireAsync(connectionString, node);
        Assert.False(held.Lost.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));
        await held.Lost.WaitAsync(Safety);
        Assert.Equal(NodeLockState.Lost, held.State);
    }

    [Fact]
    public async Task CheckAsync_DatabaseRefusesConnections_RetakingLoggedOnceThenHeldWhenBack()
    {
        var database = "lockdb_" + Guid.NewGuid().ToString("N")[..10];
        await AdminAsync($"CREATE DATABASE {database}");
        var connectionString = new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = database }.ToString();
        var node = UniqueNode();
        var log = new LinesLogger();
        await using var held = await PostgresNodeLock.AcquireAsync(connectionString, node);
        held.Watch(new VirtualClock(), log);
        try
        {
            await AdminAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS false");
            await TerminateAsync(node);

            Assert.Equal(NodeLockState.Retaking, await held.CheckAsync().WaitAsync(Safety));
            Assert.Equal(NodeLockState.Retaking, await held.CheckAsync().WaitAsync(Safety));
            Assert.Equal(NodeLockState.Retaking, await held.CheckAsync().WaitAsync(Safety));
            Assert.Single(log.Lines, l => l.Contains("is unreachable"));
            Assert.False(held.Lost.IsCompleted);

            await AdminAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
            Assert.Equal(NodeLockState.Held, await held.CheckAsync().WaitAsync(Safety));
            Assert.Contains(log.Lines, l => l.Contains("was lost with its connection and taken again"));
            await Assert.ThrowsAsync<InvalidOperationException>(() => PostgresNodeLock.AcquireAsync(connectionString, node).WaitAsync(Safety));
        }
        finally
        {
            await AdminAsync($"ALTER DATABASE {database} ALLOW_CONNECTIONS true");
        }
    }

    [Fact]
    public async Task Watch_NonPositiveInterval_RefusedNamingTheInterval()
    {
        var connectionString = await server.CreateSchemaAsync();
        await using var held = await PostgresNodeLock.AcquireAsync(connectionString, UniqueNode());
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => held.Watch(new VirtualClock(), new LinesLogger(), TimeSpan.Zero));
        Assert.Contains("check interval must be positive", ex.Message);
    }

    private sealed class LinesLogger : ILogger
    {
        private readonly object _lock = new();
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines { get { lock (_lock) return [.. _lines]; } }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lock) _lines.Add($"{logLevel} {formatter(state, exception)}");
        }
    }
}
