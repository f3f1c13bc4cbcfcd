using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Actors.Simulation;

/// <summary>
/// What the invariant checkers see of one host after a step. <see cref="Powered"/>: the node is up (not
/// crashed or fenced); <see cref="Running"/>: its Haven process runs too. <see cref="Side"/> is the
/// physical network side the harness put it on; <see cref="NetworkView"/> the transport's current view.
/// <see cref="View"/> is the last ClusterView its ClusterActor reported (null before the first).
/// </summary>
public sealed record HostObservation(
    NodeId Node,
    bool Powered,
    bool Running,
    int Side,
    ImmutableArray<NodeId> NetworkView,
    ClusterView? View,
    StreamObservation Stream)
{
    public bool IsPrimary => Running && View is { Role: PartitionRole.Primary };

    /// <summary>The network view as a comparable key.</summary>
    public string ViewKey => string.Join(",", NetworkView);
}

/// <summary>
/// A host's journaled replicated stream, with a running hash per prefix so that "is one stream a prefix
/// of another" costs O(1).
/// </summary>
public sealed class StreamObservation
{
    private readonly List<IClusterEvent> _events = [];
    private readonly List<ulong> _prefixHashes = [];

    public static StreamObservation Of(params IClusterEvent[] events)
    {
        var stream = new StreamObservation();
        foreach (var e in events) stream.Append(e);
        return stream;
    }

    public IReadOnlyList<IClusterEvent> Events => _events;

    public int Count => _events.Count;

    /// <summary>Hash of the first <paramref name="length"/> events (0 for the empty prefix).</summary>
    public ulong PrefixHash(int length) => length == 0 ? 0 : _prefixHashes[length - 1];

    public void Append(IClusterEvent clusterEvent)
    {
        ArgumentNullException.ThrowIfNull(clusterEvent);
        var previous = _prefixHashes.Count == 0 ? 14695981039346656037UL : _prefixHashes[^1];
        var hash = previous;
        foreach (var c in clusterEvent.ToString()!)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        hash ^= 0xFF; // event separator
        hash *= 1099511628211UL;
        _events.Add(clusterEvent);
        _prefixHashes.Add(hash);
    }

    /// <summary>Keeps the first <paramref name="length"/> events (a host's stream was reset to the primary's).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Count) throw new ArgumentOutOfRangeException(nameof(length), length, $"the stream has {Count} events");
        _events.RemoveRange(length, Count - length);
        _prefixHashes.RemoveRange(length, _prefixHashes.Count - length);
    }

    /// <summary>True when one of the two streams is a prefix of the other.</summary>
    public static bool ArePrefixes(StreamObservation a, StreamObservation b)
    {
        var shorter = Math.Min(a.Count, b.Count);
        return a.PrefixHash(shorter) == b.PrefixHash(shorter);
    }

    /// <summary>Index of the first event where the two streams differ, or -1 when one is a prefix of the other.</summary>
    public static int FirstDifference(StreamObservation a, StreamObservation b)
    {
        var shorter = Math.Min(a.Count, b.Count);
        for (var i = 0; i < shorter; i++)
            if (!Equals(a._events[i], b._events[i])) return i;
        return -1;
    }
}
