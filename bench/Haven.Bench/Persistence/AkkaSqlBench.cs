using System.Diagnostics;
using Akka.Actor;
using Akka.Persistence;
using Haven.Actors.Akka;
using Haven.Actors.Persistence;
using Haven.Adapters.Persistence.AkkaSql;
using static Haven.Bench.Persistence.JournalBenchSupport;

namespace Haven.Bench.Persistence;

/// <summary>
/// Akka.Persistence.Sql on SQLite through a ReceivePersistentActor (PersistAll of 1, 100, 1000 events, then recovery
/// of 100k events without a snapshot), in three set-ups: the file left in rollback mode, the file put in WAL first
/// with the plugin's defaults, and WAL with the batching Haven uses; beside Haven's own SQLite journal (raw batches,
/// and a read of the same 100k) on the same machine. Every commit is durable (synchronous=FULL).
/// </summary>
public sealed class AkkaSqlBench : IBench
{
    private const int RecoverEvents = 100_000;

    public string Name => "akka-sql";
    public string Description => "Akka.Persistence.Sql on SQLite (rollback / WAL / WAL tuned) vs Haven's journal: PersistAll(1,100,1000) events/s, recovery of 100k";

    private static readonly (string Name, bool Wal, Func<AkkaPersistenceSettings, AkkaPersistenceSettings> Tune)[] Setups =
    [
        ("akka-sql rollback", false, s => s),
        ("akka-sql wal", true, s => s),
        ("akka-sql wal tuned", true, s => s with { Parallelism = 1, BatchSize = 1000, RoundTripMaxBatchSize = 1000, ReplayBatchSize = 10_000 }),
    ];

    public async Task RunAsync(TextWriter output)
    {
        var registry = new EventManifestRegistry().Register<VmMigrated>("vms.vm-migrated.v1");
        var json = new JsonEventSerializer(registry);
        foreach (var (name, wal, tune) in Setups)
        {
            using var file = new TempJournalFile();
            if (wal) AkkaSqliteFile.Prepare(file.Path);
            else File.WriteAllBytes(file.Path, []);
            var settings = tune(new AkkaPersistenceSettings { Engine = AkkaSqlEngine.Sqlite, Database = file.Path, Node = "bench" });
            var config = AkkaPersistenceConfig.Build(settings, AkkaConfig.Build(new AkkaHostSettings { LogLevel = "WARNING" }));
            using var system = ActorSystem.Create("bench", AkkaPersistenceConfig.Setup(config, registry, json));
            await AkkaPersistenceStart.InitializeAsync(system, TimeSpan.FromSeconds(60));
            var (mode, sync) = AkkaSqliteFile.Inspect(file.Path);
            foreach (var (batch, total) in new[] { (1, 1_000), (100, 30_000), (1000, RecoverEvents) })
            {
                var actor = system.ActorOf(Props.Create(() => new Writer($"w{batch}")), $"w{batch}");
                await actor.Ask<Recovered>(Writer.Start.Instance, TimeSpan.FromMinutes(1));
                var sw = Stopwatch.StartNew();
                for (var from = 1L; from <= total; from += batch)
                    await actor.Ask<Written>(new Write(Enumerable.Range(0, batch).Select(i => (object)Event(from + i)).ToList()), TimeSpan.FromMinutes(1));
                sw.Stop();
                output.WriteLine($"{name,-19} journal_mode={mode} synchronous={sync} PersistAll({batch,4}): {total,7:N0} events {sw.Elapsed.TotalSeconds,6:F2} s = {total / sw.Elapsed.TotalSeconds,8:N0} events/s");
                await actor.GracefulStop(TimeSpan.FromSeconds(10));
            }
            var reader = system.ActorOf(Props.Create(() => new Writer("w1000")), "recover");
            var clock = Stopwatch.StartNew();
            var recovered = await reader.Ask<Recovered>(Writer.Start.Instance, TimeSpan.FromMinutes(5));
            clock.Stop();
            if (recovered.Events != RecoverEvents) throw new InvalidOperationException($"recovered {recovered.Events} events, expected {RecoverEvents}");
            output.WriteLine($"{name,-19} journal_mode={mode} synchronous={sync} recover {RecoverEvents:N0} events: {clock.Elapsed.TotalMilliseconds,7:F0} ms = {RecoverEvents / clock.Elapsed.TotalSeconds,9:N0} events/s");
        }
        await HavenJournalAsync(output, json);
    }

    /// <summary>Haven's own SQLite journal (WAL, FULL) with the same batches, and a read of 100k events.</summary>
    private static async Task HavenJournalAsync(TextWriter output, JsonEventSerializer json)
    {
        using var file = new TempJournalFile();
        await using var journal = await file.MigrateAndOpenAsync();
        foreach (var (batch, total) in new[] { (1, 1_000), (100, 30_000), (1000, RecoverEvents) })
        {
            var pid = $"w{batch}";
            var sw = Stopwatch.StartNew();
            for (var from = 1L; from <= total; from += batch)
                await journal.WriteAsync(Entries(json, pid, from, batch, DateTimeOffset.UnixEpoch));
            sw.Stop();
            output.WriteLine($"{"haven sqlite",-19} journal_mode=wal synchronous=2 write batch({batch,4}): {total,7:N0} events {sw.Elapsed.TotalSeconds,6:F2} s = {total / sw.Elapsed.TotalSeconds,8:N0} events/s");
        }
        var clock = Stopwatch.StartNew();
        var n = 0;
        await foreach (var e in journal.ReadAsync("w1000", 1, long.MaxValue))
        {
            _ = json.Deserialize(e);
            n++;
        }
        clock.Stop();
        output.WriteLine($"{"haven sqlite",-19} journal_mode=wal synchronous=2 read+deserialize {n:N0} events: {clock.Elapsed.TotalMilliseconds,7:F0} ms = {n / clock.Elapsed.TotalSeconds,9:N0} events/s");
    }

    private sealed record Write(IReadOnlyList<object> Events);
    private sealed record Written(long LastSequenceNr);
    private sealed record Recovered(long Events);

    private sealed class Writer : ReceivePersistentActor
    {
        private long _recovered;

        public Writer(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<VmMigrated>(_ => _recovered++);
            Command<Start>(_ => Sender.Tell(new Recovered(_recovered)));
            Command<Write>(w =>
            {
                var sender = Sender;
                var left = w.Events.Count;
                PersistAll(w.Events, _ => { if (--left == 0) sender.Tell(new Written(LastSequenceNr)); });
            });
        }

        public override string PersistenceId { get; }

        public sealed class Start
        {
            public static readonly Start Instance = new();
        }
    }
}
