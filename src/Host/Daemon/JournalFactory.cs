using Haven.Actors.Configuration;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Postgres;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Host.Daemon;

/// <summary>The daemon's journal and snapshot store, opened from haven.journal, with its lock.</summary>
internal sealed class JournalHandle(ObservableJournal journal, ISnapshotStore snapshots, string provider, string location, Func<ValueTask>? close)
    : IAsyncDisposable
{
    public ObservableJournal Journal { get; } = journal;
    public ISnapshotStore Snapshots { get; } = snapshots;
    public string Provider { get; } = provider;
    public string Location { get; } = location;

    public ValueTask DisposeAsync() => close?.Invoke() ?? ValueTask.CompletedTask;
}

internal static class JournalFactory
{
    /// <summary>
    /// Opens the configured journal: takes the single-daemon lock, runs the schema migration (the one
    /// explicit step that creates tables), and wraps the journal for followers.
    /// </summary>
    public static async Task<JournalHandle> OpenAsync(JournalSettings settings, CancellationToken ct)
    {
        switch (settings.Provider)
        {
            case JournalProviderKind.Memory:
                return new JournalHandle(new ObservableJournal(new InMemoryJournal()), new InMemorySnapshotStore(), "memory", "(in memory)", null);
            case JournalProviderKind.Sqlite:
            {
                var path = Path.GetFullPath(settings.SqlitePath);
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
                    throw new CliException($"cannot open journal {path}: {e.Message}");
                }
            }
            case JournalProviderKind.PostgreSql:
            {
                try
                {
                    await PostgresSchema.MigrateAsync(settings.PostgreSqlConnectionString, ct);
                    var journal = await PostgresJournal.OpenAsync(settings.PostgreSqlConnectionString, ct);
                    var snapshots = await PostgresSnapshotStore.OpenAsync(settings.PostgreSqlConnectionString, ct);
                    return new JournalHandle(new ObservableJournal(journal), snapshots, "postgresql", RedactedConnection(settings.PostgreSqlConnectionString), async () =>
                    {
                        await snapshots.DisposeAsync();
                        await journal.DisposeAsync();
                    });
                }
                catch (Exception e) when (e is not CliException and not OperationCanceledException)
                {
                    throw new CliException($"cannot open the PostgreSQL journal at {RedactedConnection(settings.PostgreSqlConnectionString)}: {e.Message}");
                }
            }
            default:
                throw new CliException($"unknown journal provider '{settings.Provider}' (sqlite, postgresql or memory)");
        }
    }

    /// <summary>The connection string without its password, for status and logs.</summary>
    internal static string RedactedConnection(string connectionString)
    {
        var parts = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => !p.StartsWith("password", StringComparison.OrdinalIgnoreCase) && !p.StartsWith("pwd", StringComparison.OrdinalIgnoreCase));
        return string.Join(';', parts);
    }
}
