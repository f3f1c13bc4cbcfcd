using System.Runtime.CompilerServices;

namespace Haven.Actors.Persistence;

/// <summary>
/// A thread-safe journal held in memory (tests and <c>haven.journal.provider = memory</c>). Same contract
/// as the durable journals; "reopening" it means using the same instance. Payloads are copied on write.
/// </summary>
public sealed class InMemoryJournal : IJournal
{
    private sealed class Stream
    {
        public readonly List<JournalEntry> Entries = [];   // contiguous, increasing sequence numbers
        public long Highest;
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Stream> _streams = new(StringComparer.Ordinal);
    private readonly List<JournalEntry> _all = [];         // increasing Ordering
    private long _ordering;

    public Task WriteAsync(IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var ranges = JournalBatch.Plan(entries);
        lock (_gate)
        {
            foreach (var range in ranges)
                JournalBatch.CheckContinues(range, _streams.TryGetValue(range.PersistenceId, out var s) ? s.Highest : 0);
            foreach (var e in entries)
            {
                if (!_streams.TryGetValue(e.PersistenceId, out var stream))
                    _streams[e.PersistenceId] = stream = new Stream();
                var stored = e with { Payload = (byte[])e.Payload.Clone(), Tags = e.Tags.ToArray(), Ordering = ++_ordering };
                stream.Entries.Add(stored);
                stream.Highest = e.SequenceNr;
                _all.Add(stored);
            }
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<JournalEntry> ReadAsync(string persistenceId, long fromSequenceNr, long toSequenceNr,
        long max = long.MaxValue, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        JournalBatch.CheckRead(persistenceId, max);
        List<JournalEntry> found;
        lock (_gate)
        {
            found = _streams.TryGetValue(persistenceId, out var stream)
                ? stream.Entries.Where(e => e.SequenceNr >= fromSequenceNr && e.SequenceNr <= toSequenceNr)
                    .Take((int)Math.Min(max, int.MaxValue)).ToList()
                : [];
        }
        foreach (var e in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask;
    }

    public Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        lock (_gate)
            return Task.FromResult(_streams.TryGetValue(persistenceId, out var s) ? s.Highest : 0L);
    }

    public Task DeleteToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        lock (_gate)
        {
            if (_streams.TryGetValue(persistenceId, out var stream))
            {
                stream.Entries.RemoveAll(e => e.SequenceNr <= toSequenceNr);
                _all.RemoveAll(e => e.SequenceNr <= toSequenceNr && e.PersistenceId == persistenceId);
            }
        }
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<JournalEntry> ReadAllAsync(long afterOrdering, long max = long.MaxValue,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        List<JournalEntry> found;
        lock (_gate)
        {
            var start = FirstIndexAfter(afterOrdering);
            var count = (int)Math.Min(max, _all.Count - start);
            found = _all.GetRange(start, count);
        }
        foreach (var e in found)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }
        await Task.CompletedTask;
    }

    public Task<long> CountAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate) return Task.FromResult((long)_all.Count);
    }

    private int FirstIndexAfter(long afterOrdering)
    {
        int lo = 0, hi = _all.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_all[mid].Ordering <= afterOrdering) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
