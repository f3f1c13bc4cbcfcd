using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Membership;
using Haven.Actors.Persistence;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// Sync with a bounded history: the source offers the records after the lowest index a member behind holds
/// with its digest (<see cref="SyncOffer"/>), or — when a member lacks its history at its base — the snapshot at
/// the base and the records after it (<see cref="SnapshotOffer"/>). A member behind keeps the longest prefix it
/// shares with the offer (found by the hash chain), drops the rest of its own (<see cref="StreamReset"/>), or,
/// sharing nothing it can check, rebases to the offered snapshot.
/// </summary>
public sealed partial class ClusterActor
{
    private void OfferSync(ImmutableArray<NodeId> behind)
    {
        var from = ReplicatedLog.OfferFrom(_stream, behind.Select(n => (_hellos[n].Index, _hellos[n].Digest)), out var needsSnapshot);
        var records = _stream.After(from).Select(r => new WireRecord(r.Manifest, Encoding.UTF8.GetString(r.Payload))).ToImmutableArray();
        var targets = string.Join(",", behind.Select(n => n.Value));
        if (needsSnapshot)
        {
            Log.LogInformation("Syncing {Targets} from the snapshot at index {From}: {Count} records after it", targets, from, records.Length);
            Multicast(new SnapshotOffer(_viewId, _viewIds, behind, _base with { Unreconciled = [] }, records));
            return;
        }
        Log.LogInformation("Syncing {Targets} from index {From}: {Count} records", targets, from, records.Length);
        Multicast(new SyncOffer(_viewId, _viewIds, behind, from, records, _stream.DigestAt(from)));
    }

    private void OnSnapshotOffer(SnapshotOffer offer) =>
        OnOffer(offer.ViewId, offer.View, offer.Targets, offer.Snapshot.Index, offer.Snapshot.Digest, offer.Snapshot, offer.Records);

    private void OnOffer(long viewId, ImmutableArray<NodeId> view, ImmutableArray<NodeId> targets, long from, string? fromDigest,
        StreamSnapshot? snapshot, ImmutableArray<WireRecord> records)
    {
        if (!InThisView(viewId, view) || _viewSynced) return;
        if (!targets.Contains(Me) || !_awaitingSync)
        {
            ViewSynced();
            return;
        }
        var accept = ReplicatedLog.Accept(_stream, from, fromDigest, records, snapshot is not null);
        if (accept is null)
        {
            Log.LogError("The sync offer from index {From} cannot bring {Node} up to date: it holds {BaseIndex}..{Count} and the offer names no digest there",
                from, _options.Self.Name, _stream.BaseIndex, _stream.Count);
            return;
        }
        var facts = new List<object>();
        if (accept.Rebase)
        {
            var rebase = (snapshot ?? StreamSnapshot.Empty) with { Unreconciled = CaptureSnapshot().Unreconciled };
            Log.LogWarning("Replicated history of {Node} ({Count} events) shares nothing it can check with the primary's; it restarts from the primary's snapshot at index {Index}",
                _options.Self.Name, _stream.Count, rebase.Index);
            facts.Add(rebase);
        }
        else if (accept.Keep < _stream.Count)
        {
            // The old records stay in the journal (until its audit window passes them).
            Log.LogWarning("Replicated history of {Node} diverged from the primary's after index {Index}; restarting the stream there",
                _options.Self.Name, accept.Keep);
            facts.Add(new StreamReset(accept.Keep));
        }
        foreach (var r in records.Skip(accept.Skip))
            facts.Add(Persistence.Serializer.Deserialize(new JournalEntry("sync", 0, r.Manifest, Encoding.UTF8.GetBytes(r.Payload), default, [])));
        if (facts.Count == 0)
        {
            SyncDone();
            return;
        }
        var last = facts[^1];
        var heldBefore = _state.IpsOf(Me).ToList();
        PersistAll(facts, f =>
        {
            switch (f)
            {
                case StreamSnapshot s:
                    InstallSnapshot(s);
                    SnapshotJournaled(s);
                    break;
                case StreamReset reset:
                    RebuildTo(reset.DivergedAt);
                    break;
                default:
                    ApplyReplicated((IClusterEvent)f, sideEffects: false);
                    break;
            }
            if (!ReferenceEquals(f, last)) return;
            ReleaseWhatIsNoLongerMine(heldBefore);
            SyncDone();
        });
    }

    /// <summary>A reset keeps the common prefix: back to the base, then its records up to <paramref name="keep"/> again.</summary>
    private void RebuildTo(long keep)
    {
        if (keep < _stream.BaseIndex)
        {
            Log.LogError("A stream reset to index {Keep} lies before the snapshot at {BaseIndex}; the stream restarts at the snapshot", keep, _stream.BaseIndex);
            keep = _stream.BaseIndex;
        }
        var kept = _stream.After(_stream.BaseIndex).Take((int)(keep - _stream.BaseIndex)).ToList();
        RestoreBase(_base);
        foreach (var r in kept)
            ApplyReplicated((IClusterEvent)Persistence.Serializer.Deserialize(new JournalEntry("cluster", r.Index, r.Manifest, r.Payload, default, [])), sideEffects: false);
    }
}
