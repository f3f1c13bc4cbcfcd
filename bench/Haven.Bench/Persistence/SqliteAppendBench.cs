using System.Diagnostics;
using static Haven.Bench.Persistence.JournalBenchSupport;

namespace Haven.Bench.Persistence;

/// <summary>Batched appends into the SQLite journal (WAL, synchronous=FULL: one fsync per batch).</summary>
public sealed class SqliteAppendBench : IBench
{
    public string Name => "sqlite-append";
    public string Description => "SQLite journal appends, ~100-byte events, per batch size (goal >= 100,000 events/s)";

    public async Task RunAsync(TextWriter output)
    {
        var serializer = CreateSerializer();
        var at = DateTimeOffset.UnixEpoch;
        output.WriteLine($"payload bytes: {serializer.Serialize(Event(123_456)).Payload.Length}");
        foreach (var (batchSize, total) in new[] { (1, 2_000), (10, 20_000), (100, 200_000), (1000, 200_000) })
        {
            using var file = new TempJournalFile();
            await using var journal = await file.MigrateAndOpenAsync();
            var batches = new List<List<Haven.Actors.Persistence.JournalEntry>>();
            for (var from = 1L; from <= total; from += batchSize)
                batches.Add(Entries(serializer, "bench", from, batchSize, at));
            var sw = Stopwatch.StartNew();
            foreach (var batch in batches) await journal.WriteAsync(batch);
            sw.Stop();
            var count = await journal.CountAsync();
            if (count != total) throw new InvalidOperationException($"expected {total} events, journal holds {count}");
            var perSecond = total / sw.Elapsed.TotalSeconds;
            output.WriteLine(
                $"batch {batchSize,5}: {total,7:N0} events in {sw.Elapsed.TotalSeconds,6:F2} s = {perSecond,10:N0} events/s, {sw.Elapsed.TotalMilliseconds / batches.Count,7:F3} ms/batch{(batchSize >= 100 ? (perSecond >= 100_000 ? "  (goal met)" : "  (below goal)") : "")}");
        }
    }
}
