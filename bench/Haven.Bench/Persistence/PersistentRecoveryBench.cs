using System.Diagnostics;
using Haven.Actors.Persistence;
using Haven.Actors.Runtime;
using Haven.Adapters.Persistence.Sqlite;
using static Haven.Bench.Persistence.JournalBenchSupport;

namespace Haven.Bench.Persistence;

/// <summary>
/// Recovery of a PersistentActor over SQLite: 1,000,000 journaled events with a snapshot every 10,000
/// (goal &lt; 3 s), and the same stream without snapshots for comparison.
/// </summary>
public sealed class PersistentRecoveryBench : IBench
{
    private const int Total = 1_000_000;
    private const int SnapshotEvery = 10_000;

    public string Name => "persistent-recovery";
    public string Description => "PersistentActor recovery of 1,000,000 SQLite events, snapshot every 10,000 (goal < 3 s)";

    public async Task RunAsync(TextWriter output)
    {
        var registry = new EventManifestRegistry().Register<VmMigrated>("vms.vm-migrated.v1").Register<Tally>("bench.tally.v1");
        var serializer = new JsonEventSerializer(registry);
        using var file = new TempJournalFile();
        await using var journal = await file.MigrateAndOpenAsync();
        await using var snapshots = await SqliteSnapshotStore.OpenAsync(file.Path);
        var setup = Stopwatch.StartNew();
        long generations = 0;
        for (var from = 1L; from <= Total; from += SnapshotEvery)
        {
            for (var b = from; b < from + SnapshotEvery; b += 1000)
                await journal.WriteAsync(Entries(serializer, "with-snapshots", b, 1000, DateTimeOffset.UnixEpoch));
            for (var g = from; g < from + SnapshotEvery; g++) generations += g;
            var last = from + SnapshotEvery - 1;
            var (manifest, payload) = serializer.Serialize(new Tally(last, generations));
            await snapshots.SaveAsync(new SnapshotEntry(new SnapshotMetadata("with-snapshots", last, DateTimeOffset.UnixEpoch), manifest, payload));
        }
        for (var b = 1L; b <= Total; b += 1000)
            await journal.WriteAsync(Entries(serializer, "no-snapshots", b, 1000, DateTimeOffset.UnixEpoch));
        output.WriteLine($"setup: {2 * Total:N0} events and {Total / SnapshotEvery} snapshots written in {setup.Elapsed.TotalSeconds:F1} s");

        var services = new PersistenceServices(journal, snapshots, serializer);
        var system = ActorSystem.Create("bench");
        try
        {
            foreach (var id in new[] { "with-snapshots", "no-snapshots" })
            {
                var clock = Stopwatch.StartNew();
                var actor = system.ActorOf(Props.Create(() => new TallyActor(id, services)));
                var tally = await actor.Ask<Tally>(GetTally.Instance, TimeSpan.FromMinutes(5));
                clock.Stop();
                if (tally.Count != Total || tally.Sum != (long)Total * (Total + 1) / 2)
                    throw new InvalidOperationException($"{id}: recovered {tally.Count} events, sum {tally.Sum}");
                output.WriteLine($"{id,-15} recovered {tally.Count:N0} events in {clock.Elapsed.TotalSeconds:F2} s");
            }
        }
        finally
        {
            await system.Terminate();
        }
    }

    public sealed record Tally(long Count, long Sum);

    private sealed record GetTally
    {
        public static readonly GetTally Instance = new();
    }

    private sealed class TallyActor : PersistentActor
    {
        private readonly string _id;
        private long _count;
        private long _sum;

        public TallyActor(string id, PersistenceServices services) : base(services)
        {
            _id = id;
            RecoverSnapshot<Tally>(t => (_count, _sum) = (t.Count, t.Sum));
            Recover<VmMigrated>(e =>
            {
                _count++;
                _sum += e.Generation;
            });
            Receive<GetTally>(_ => Sender.Tell(new Tally(_count, _sum), Self));
        }

        public override string PersistenceId => _id;
    }
}
