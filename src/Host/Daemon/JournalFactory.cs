using Haven.Actors.Configuration;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence;
using Haven.Adapters.Persistence.Postgres;
using Haven.Adapters.Persistence.Sqlite;
using Microsoft.Extensions.Logging;

namespace Haven.Host.Daemon;

/// <summary>The daemon's journal and snapshot store, opened from haven.journal, with its lock.</summary>
internal sealed class JournalHandle(ObservableJournal journal, ISnapshotStore snapshots, string provider, string location, Func<ValueTask>? close,
    PostgresNodeLock? nodeLock = null)
    : IAsyncDisposable
{
    private static readonly Task<string> Never = new TaskCompletionSource<string>().Task;

    public ObservableJournal Journal { get; } = journal;
    public ISnapshotStore Snapshots { get; } = snapshots;
    public string Provider { get; } = provider;
    public string Location { get; } = location;

    /// <summary>The PostgreSQL journal's single-daemon lock, watched while the daemon runs; null for the other providers.</summary>
    public PostgresNodeLock? NodeLock { get; } = nodeLock;

    /// <summary>Completes with the reason when another daemon of this node name took the journal lock; never for the other providers.</summary>
    public Task<string> LockLost => NodeLock?.Lost ?? Never;

    public ValueTask DisposeAsync() => close?.Invoke() ?? ValueTask.CompletedTask;
}

internal static class JournalFactory
{
    /// <summary>
    /// Opens the configured journal: takes the single-daemon lock, runs the schema migration (the one
    /// explicit step that creates tables), and wraps the journal for followers.
    /// </summary>
    /// <param name="node">this host's effective node name: in a shared PostgreSQL database it scopes the
    /// host's records and names its single-daemon lock</param>
    /// <param name="time">drives the PostgreSQL lock's watch (default the system clock)</param>
    public static async Task<JournalHandle> OpenAsync(JournalSettings settings, string node, ILogger log, CancellationToken ct, TimeProvider? time = null)
    {
        switch (settings.Provider)
        {
            case JournalProviderKind.Memory:
                return new JournalHandle(new ObservableJournal(new InMemoryJournal()), new InMemorySnapshotStore(), "memory", "(in memory)", null);
            case JournalProviderKind.Sqlite:
            {
                var path = Path.GetFullPath(settings.SqlitePath);
                if (!settings.AcceptEmptyFile && File.Exists(path) && new FileInfo(path).Length == 0)
                    throw new CliException($"journal {path} exists but is empty (0 bytes): it was truncated or emptied, and starting on it would start "
                        + "a fresh cluster without its settings and VM definitions; restore it from a backup, or start with --new-journal to begin anew");
                var dir = Path.GetDirectoryName(path)!;
                FileGuards.EnsureDirectory(dir, "journal");
                var lockFile = FileGuards.AcquireLock(path + ".lock", $"journal {path}");
                try
                {
                    await SqliteSchema.MigrateAsync(path, ct);
                    var journal = await SqliteJournal.OpenAsync(path, ct);
                    var snapshots = await SqliteSnapshotStore.OpenAsync(path, ct);
                    return new JournalHandle(new ObservableJournal(journal), snapshots, "sqlite", path, async () =>
                    {
                        await snapshots.DisposeAsync();
                        await journal.DisposeAsync();
                        await lockFile.DisposeAsync();
                    });
                }
                catch (Exception e) when (e is not CliException and not OperationCanceledException)
                {
                    lockFile.Dispose();
                    throw new CliException(e is InvalidDataException ? e.Message : $"cannot open journal {path}: {e.Message}");
                }
            }
            case JournalProviderKind.PostgreSql:
                return await OpenPostgresAsync(settings.PostgreSqlConnectionString, node, log, time ?? TimeProvider.System, ct);
            default:
                throw new CliException($"unknown journal provider '{settings.Provider}' (sqlite, postgresql or memory)");
        }
    }

    /// <summary>
    /// The id under which every daemon journals its runs (DaemonLifecycleActor's <c>daemon-NODE</c>): in a
    /// database from before node scoping it tells which host wrote the records.
    /// </summary>
    internal const string DaemonRecordPrefix = "daemon-";

    /// <summary>
    /// A PostgreSQL database shared by the cluster's hosts: the node's lock first (a second daemon of the
    /// same name fails at once), then the migration, the one-time adoption of this host's records from
    /// before node scoping, and the stores seen through the node's scope. The lock is held, and watched
    /// every <see cref="PostgresNodeLock.DefaultCheckInterval"/>, until dispose.
    /// </summary>
    private static async Task<JournalHandle> OpenPostgresAsync(string connectionString, string node, ILogger log, TimeProvider time, CancellationToken ct)
    {
        var where = RedactedConnection(connectionString);
        var opened = new Stack<IAsyncDisposable>();
        try
        {
            var scope = new NodeScope(node);
            var nodeLock = await PostgresNodeLock.AcquireAsync(connectionString, node, ct);
            opened.Push(nodeLock);
            await PostgresSchema.MigrateAsync(connectionString, ct);
            var adoption = await PostgresUnscopedRecords.AdoptAsync(connectionString, scope, DaemonRecordPrefix, ct);
            if (adoption.Outcome == AdoptionOutcome.Adopted)
                log.LogInformation("Journal records of {Node} from before node scoping adopted in {Database}: {Reason} ({PersistenceIds})",
                    node, where, adoption.Reason, string.Join(", ", adoption.Ids));
            else if (adoption.Outcome == AdoptionOutcome.LeftAlone)
                log.LogWarning("Journal records from before node scoping left alone in {Database}: {Reason} ({PersistenceIds})",
                    where, adoption.Reason, string.Join(", ", adoption.Ids));
            var journal = await PostgresJournal.OpenAsync(connectionString, ct);
            opened.Push(journal);
            var snapshots = await PostgresSnapshotStore.OpenAsync(connectionString, ct);
            opened.Push(snapshots);
            nodeLock.Watch(time, log);
            return new JournalHandle(new ObservableJournal(new NodeScopedJournal(journal, scope)), new NodeScopedSnapshotStore(snapshots, scope),
                "postgresql", where, () => CloseAllAsync(opened), nodeLock);
        }
        catch (Exception e)
        {
            await CloseAllAsync(opened);
            if (e is CliException or OperationCanceledException) throw;
            throw new CliException($"cannot open the PostgreSQL journal at {where}: {e.Message}");
        }
    }

    /// <summary>Closes in reverse order of opening: the stores, then the node's lock.</summary>
    private static async ValueTask CloseAllAsync(Stack<IAsyncDisposable> opened)
    {
        while (opened.TryPop(out var next)) await next.DisposeAsync();
    }

    /// <summary>The connection string without its password, for status and logs.</summary>
    internal static string RedactedConnection(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => !p.StartsWith("password", StringComparison.OrdinalIgnoreCase) && !p.StartsWith("pwd", StringComparison.OrdinalIgnoreCase));
        return string.Join(';', parts);
    }
}
