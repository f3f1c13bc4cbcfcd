using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.Sqlite;

namespace Haven.Bench.Persistence;

/// <summary>A representative event (~100 bytes of JSON) and a migrated SQLite journal in a temporary folder.</summary>
internal static class JournalBenchSupport
{
    public sealed record VmMigrated(string Vm, string FromNode, string ToNode, long Generation, string Reason);

    public static JsonEventSerializer CreateSerializer() =>
        new(new EventManifestRegistry().Register<VmMigrated>("vms.vm-migrated.v1"));

    public static VmMigrated Event(long i) => new($"vm-{i % 500:D4}", "node-03", "node-17", i, "placement.rebalance");

    public static List<JournalEntry> Entries(JsonEventSerializer serializer, string pid, long from, int count, DateTimeOffset at)
    {
        var list = new List<JournalEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var (manifest, payload) = serializer.Serialize(Event(from + i));
            list.Add(new JournalEntry(pid, from + i, manifest, payload, at, []));
        }
        return list;
    }

    public sealed class TempJournalFile : IDisposable
    {
        public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("haven-bench-").FullName;
        public string Path => System.IO.Path.Combine(Directory, "journal.db");

        public async Task<SqliteJournal> MigrateAndOpenAsync()
        {
            await SqliteSchema.MigrateAsync(Path);
            return await SqliteJournal.OpenAsync(Path);
        }

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
