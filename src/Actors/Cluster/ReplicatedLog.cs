using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Membership;

namespace Haven.Actors.Cluster;

/// <summary>
/// The replicated stream's state at index <see cref="Index"/> (digest <see cref="Digest"/>): what a snapshot
/// holds, in the snapshot store, in the journal (where it marks the point from which the journal may be read
/// alone: every reader sets its state to <see cref="State"/> there) and in a <see cref="SnapshotOffer"/>.
/// <see cref="FenceRequestAt"/>: the stream index at which each open fence request was applied.
/// <see cref="Unreconciled"/>: this host's local facts not yet multicast (empty on the wire).
/// </summary>
public sealed record StreamSnapshot(
    long Index,
    string Digest,
    ClusterStateImage State,
    ImmutableSortedDictionary<NodeId, long>? FenceRequestAt = null,
    ImmutableArray<WireRecord> Unreconciled = default) : ILocalFact
{
    public ImmutableArray<WireRecord> Unreconciled { get; init; } = Unreconciled.IsDefault ? [] : Unreconciled;

    /// <summary>The empty stream, as a base to rebuild from when a history diverged from its first record.</summary>
    public static StreamSnapshot Empty { get; } = new(0, "", ClusterState.Empty.ToImage());
}

/// <summary>
/// The sync source hands the members that are behind the snapshot at its base and the records after it: sent
/// instead of a <see cref="SyncOffer"/> when a member lacks the source's history at the base (it is behind it, or
/// differs below it). A member whose own history reaches the base with the same digest skips the snapshot.
/// </summary>
public sealed record SnapshotOffer(long ViewId, ImmutableArray<NodeId> View, ImmutableArray<NodeId> Targets, StreamSnapshot Snapshot,
    ImmutableArray<WireRecord> Records);

/// <summary>haven.journal.snapshot-every and keep-events: how often the ClusterActor snapshots, how much older journal it keeps.</summary>
public sealed record SnapshotPolicy(long Every, long KeepEvents)
{
    public static SnapshotPolicy Default { get; } = new(10_000, 10_000);
}

/// <summary>What a member behind does with an offer: which of its records stay, and where the offered ones start.</summary>
/// <param name="Keep">Its stream keeps records up to this index (a reset cuts there when it holds more).</param>
/// <param name="Rebase">It first rebases to the offered snapshot (or the empty stream) and keeps nothing of its own.</param>
/// <param name="Skip">How many of the offered records it already holds.</param>
public sealed record OfferAcceptance(long Keep, bool Rebase, int Skip);

/// <summary>The pure part of sync: what the source offers and how a member behind takes an offer (docs/cluster.md).</summary>
public static class ReplicatedLog
{
    /// <summary>
    /// Where the offer starts for members whose hellos are given: the lowest index any of them holds with the
    /// source's digest; a member whose history the source cannot confirm needs the source's base — with the
    /// snapshot (<paramref name="needsSnapshot"/>) unless that base is the empty stream.
    /// </summary>
    public static long OfferFrom(ReplicatedStream stream, IEnumerable<(long Index, string Digest)> behind, out bool needsSnapshot)
    {
        var from = stream.Count;
        needsSnapshot = false;
        foreach (var (index, digest) in behind)
        {
            if (stream.HasPrefix(index, digest))
            {
                from = Math.Min(from, index);
                continue;
            }
            from = stream.BaseIndex;
            needsSnapshot |= stream.BaseIndex > 0;
        }
        return Math.Min(from, stream.Count);
    }

    /// <summary>
    /// How a member with <paramref name="mine"/> takes records from index <paramref name="from"/> whose digest there is
    /// <paramref name="fromDigest"/> (null: the sender did not say; known only for 0): the longest prefix both hold
    /// — found by the hash chain over the offered records — is kept, the rest of its own is dropped, and the offered
    /// records after it are appended. When the two share nothing it can check, it rebases to the offered snapshot,
    /// or (from 0) to the empty stream; null when it can do neither (the offer cannot bring it up to date).
    /// </summary>
    public static OfferAcceptance? Accept(ReplicatedStream mine, long from, string? fromDigest, IReadOnlyList<WireRecord> records, bool hasSnapshot)
    {
        if (from == 0) fromDigest = "";
        long? common = null;
        if (fromDigest is not null)
        {
            var digest = fromDigest;
            var last = Math.Min(mine.Count, from + records.Count);
            for (var index = from; index <= last; index++)
            {
                if (index > from)
                {
                    var r = records[(int)(index - from - 1)];
                    digest = ReplicatedStream.Next(digest, index, r.Manifest, Encoding.UTF8.GetBytes(r.Payload));
                }
                if (index < mine.BaseIndex) continue;
                if (mine.DigestAt(index) != digest) break; // a hash chain: once it differs, it differs from there on
                common = index;
            }
        }
        if (common is { } k) return new OfferAcceptance(k, false, (int)(k - from));
        if (hasSnapshot || from == 0) return new OfferAcceptance(from, true, 0);
        return null;
    }
}
