using System.Text.Json;
using Haven.Actors.Configuration;
using Haven.Actors.Runtime;
using Haven.Adapters.Persistence.Postgres;
using Haven.Adapters.Tests.Persistence;
using Haven.Host.Cli;
using Haven.Host.Control;
using Haven.Host.Daemon;
using Microsoft.Extensions.Logging.Abstractions;

namespace Haven.Host.Tests;

/// <summary>
/// The PostgreSQL journal's lock while the daemon runs: its session killed and the lock taken by another
/// daemon of the same name stops this one; `haven health` reports the lock.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class JournalLockDaemonTests(PostgresServerFixture server)
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    private static string UniqueNode() => "j" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Kills the lock's session (application name "haven NODE") and waits, bounded, until its backend exited.</summary>
    private async Task TerminateLockSessionAsync(string node) => Assert.Equal(1L, await server.TerminateLockSessionAsync(node));

    [Fact]
    public async Task OpenAsync_LockSessionKilledAndTakenByAnother_WatchSignalsLostAtTheFiveSecondTick()
    {
        var connectionString = await server.CreateSchemaAsync();
        var node = UniqueNode();
        var clock = new VirtualClock();
        await using var handle = await JournalFactory.OpenAsync(
            new JournalSettings(JournalProviderKind.PostgreSql, "", connectionString), node, NullLogger.Instance, CancellationToken.None, clock);
        Assert.Equal(NodeLockState.Held, handle.NodeLock!.State);

        await TerminateLockSessionAsync(node);
        await using var other = await PostgresNodeLock.AcquireAsync(connectionString, node);
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.False(handle.LockLost.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        var reason = await handle.LockLost.WaitAsync(Safety);
        Assert.Contains($"another haven daemon named {node} took the journal lock", reason);
    }

    [Fact]
    public async Task OpenAsync_Sqlite_HasNoNodeLockAndNeverLosesIt()
    {
        using var dir = new TempDir();
        await using var handle = await JournalFactory.OpenAsync(
            new JournalSettings(JournalProviderKind.Sqlite, dir.File("journal.db"), ""), "n1", NullLogger.Instance, CancellationToken.None);
        Assert.Null(handle.NodeLock);
        Assert.False(handle.LockLost.IsCompleted);
    }

    [Fact]
    public async Task Daemon_JournalLockTakenByAnotherWhileSessionDown_StopsWithClearErrorAndHealthSaidHeldBefore()
    {
        using var dir = new TempDir();
        var connectionString = await server.CreateSchemaAsync();
        var node = UniqueNode();
        var config = dir.WriteConfig("haven.conf", $$"""
            haven {
              cluster { name = lab, node-name = {{node}}, transport = simulated }
              journal { provider = postgresql, postgresql.connection-string = "{{connectionString}}" }
              control.socket = "{{dir.File("haven.sock")}}"
              logging { console = off, file.path = "{{dir.File("haven.log")}}" }
            }
            """);
        await using var daemon = await RunningDaemon.StartAsync(config);

        var (code, output, err) = await CliRunner.RunAsync("health", "--json", "--socket", dir.File("haven.sock"));
        var check = JsonDocument.Parse(output).RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "journal lock");
        Assert.True(check.GetProperty("status").GetString() == "success", err + output);
        Assert.Contains($"haven-journal/{node}", check.GetProperty("reason").GetString());

        await TerminateLockSessionAsync(node);
        await using var other = await PostgresNodeLock.AcquireAsync(connectionString, node);
        Assert.Equal(NodeLockState.Lost, await daemon.State.JournalHandle.NodeLock!.CheckAsync().WaitAsync(Safety));

        var stopped = await Assert.ThrowsAsync<CliException>(() => daemon.Run.WaitAsync(Safety));
        Assert.Contains($"another haven daemon named {node} took the journal lock", stopped.Message);
        Assert.Contains("while this one's connection was down; stopping", stopped.Message);
        Assert.False(File.Exists(dir.File("haven.sock")));
        Assert.Equal(NodeLockState.Held, await other.CheckAsync().WaitAsync(Safety));
    }

    [Fact]
    public void JournalLock_EachState_HeldSucceedsRetakingAndLostAreErrors()
    {
        var held = HealthApi.JournalLock(NodeLockState.Held, "n1", "haven-journal/n1", "db");
        Assert.Equal((HealthCheck.SuccessStatus, "journal lock"), (held.Status, held.Name));
        Assert.Contains("held", held.Reason);

        var retaking = HealthApi.JournalLock(NodeLockState.Retaking, "n1", "haven-journal/n1", "db");
        Assert.Equal(HealthCheck.ErrorStatus, retaking.Status);
        Assert.Contains("taking \"haven-journal/n1\" again", retaking.Reason);

        var lost = HealthApi.JournalLock(NodeLockState.Lost, "n1", "haven-journal/n1", "db");
        Assert.Equal(HealthCheck.ErrorStatus, lost.Status);
        Assert.Contains("another haven daemon named n1", lost.Reason);
    }
}
