using System.Collections.Immutable;

namespace Haven.Actors.Fencing;

/// <summary>
/// The detailed fencing history (for <c>haven fence history</c>): one record per request and outcome.
/// The cluster's own replicated events (Cluster.FenceRequested / FenceSucceeded / FenceFailed) stay the
/// source of truth for state; these add the action, the level, every device tried and the durations.
/// </summary>
public abstract record FenceHistoryRecord(string Node, DateTimeOffset At);

public sealed record FenceHistoryRequested(string Node, FenceAction Action, string Reason, DateTimeOffset At)
    : FenceHistoryRecord(Node, At);

public sealed record FenceHistorySucceeded(string Node, string Device, int Level, TimeSpan Duration, string Detail, DateTimeOffset At)
    : FenceHistoryRecord(Node, At);

public sealed record FenceHistoryFailed(string Node, string Reason, TimeSpan Duration, DateTimeOffset At)
    : FenceHistoryRecord(Node, At);

/// <summary>The history records' journal manifests (persistence id "fence-history").</summary>
public static class FenceHistoryManifests
{
    public static Persistence.EventManifestRegistry Register(Persistence.EventManifestRegistry registry) => registry
        .Register<FenceHistoryRequested>("fence-history.requested.v1")
        .Register<FenceHistorySucceeded>("fence-history.succeeded.v1")
        .Register<FenceHistoryFailed>("fence-history.failed.v1");
}

/// <summary>The last <see cref="Capacity"/> history records, safe to add to from parallel fences.</summary>
public sealed class FenceHistoryLog(int capacity = 1000)
{
    private readonly Lock gate = new();
    private ImmutableQueue<FenceHistoryRecord> records = [];
    private int count;

    public int Capacity { get; } = capacity;

    public void Add(FenceHistoryRecord record)
    {
        lock (gate)
        {
            records = records.Enqueue(record);
            if (++count > Capacity)
            {
                records = records.Dequeue();
                count--;
            }
        }
    }

    public ImmutableArray<FenceHistoryRecord> Snapshot()
    {
        lock (gate)
        {
            return [.. records];
        }
    }
}
