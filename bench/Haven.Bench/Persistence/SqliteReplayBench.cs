using System.Diagnostics;
using static Haven.Bench.Persistence.JournalBenchSupport;

namespace Haven.Bench.Persistence;

/// <summary>Reads 1,000,000 events of one persistence id back through ReadAsync, raw and with deserialization.</summary>
public sealed class SqliteReplayBench : IBench
{
    private const int Total = 1_000_000;
    private const int BatchSize = 1000;

    public string Name => "sqlite-replay";
    public string Description => "SQLite journal replay of 1,000,000 events of one id (recovery goal < 3 s incl. snapshots)";

    public async Task RunAsync(TextWriter output)
    {
        var serializer = CreateSerializer();
        using var file = new TempJournalFile();
        await using var journal = await file.MigrateAndOpenAsync();
        var write = Stopwatch.StartNew();
        for (var from = 1L; from <= Total; from += BatchSize)
            await journal.WriteAsync(Entries(serializer, "cluster", from, BatchSize, DateTimeOffset.UnixEpoch));
        write.Stop();
        output.WriteLine($"setup: wrote {Total:N0} events in {write.Elapsed.TotalSeconds:F2} s; file {new FileInfo(file.Path).Length / 1048576.0:F0} MiB + WAL");

        var raw = Stopwatch.StartNew();
        long rawCount = 0, bytes = 0;
        await foreach (var e in journal.ReadAsync("cluster", 1, long.MaxValue)) { rawCount++; bytes += e.Payload.Length; }
        raw.Stop();
        Check(rawCount);
        output.WriteLine($"read only:          {raw.Elapsed.TotalSeconds,5:F2} s ({rawCount / raw.Elapsed.TotalSeconds:N0} events/s, {bytes / 1048576.0:F0} MiB payload)");

        var full = Stopwatch.StartNew();
        long count = 0, generations = 0;
        await foreach (var e in journal.ReadAsync("cluster", 1, long.MaxValue))
        {
            generations += ((VmMigrated)serializer.Deserialize(e)).Generation;
            count++;
        }
        full.Stop();
        Check(count);
        if (generations != (long)Total * (Total + 1) / 2) throw new InvalidOperationException("replayed events differ from the written ones");
        output.WriteLine($"read + deserialize: {full.Elapsed.TotalSeconds,5:F2} s ({count / full.Elapsed.TotalSeconds:N0} events/s)");

        var tail = Stopwatch.StartNew();
        var tailCount = 0;
        await foreach (var e in journal.ReadAsync("cluster", Total - 9_999, long.MaxValue)) { serializer.Deserialize(e); tailCount++; }
        tail.Stop();
        output.WriteLine($"recovery tail after a snapshot (last {tailCount:N0} events): {tail.Elapsed.TotalMilliseconds:F1} ms");
    }

    private static void Check(long count)
    {
        if (count != Total) throw new InvalidOperationException($"replayed {count} events, expected {Total}");
    }
}
