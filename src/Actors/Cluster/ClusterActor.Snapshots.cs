using System.Collections.Immutable;
using System.Text;
using Haven.Actors.Persistence;
using Microsoft.Extensions.Logging;

namespace Haven.Actors.Cluster;

/// <summary>
/// Bounded history: every <see cref="SnapshotPolicy.Every"/> replicated events the actor journals a
/// <see cref="StreamSnapshot"/> of the stream (state, index, digest), saves it in the snapshot store, drops the
/// records before it from memory, and deletes the journal entries before the newest snapshot that is at least
/// <see cref="SnapshotPolicy.KeepEvents"/> entries old (the audit window). The journal therefore always starts
/// at seq 1 or at a snapshot, so whoever reads it from its start (recovery, event delivery, the settings at
/// start, `haven events`) has the state there. Recovery: the latest snapshot and the journal after it.
/// </summary>
public sealed partial class ClusterActor
{
    // The stream's base as a snapshot: the state at _stream.BaseIndex, which sync hands to members behind it.
    private StreamSnapshot _base = StreamSnapshot.Empty;
    // Journal sequence numbers of the snapshots this incarnation knows to be in the journal, oldest first.
    private readonly List<long> _snapshotSeqs = [];
    private long _journalDeletedTo;

    private SnapshotPolicy Snapshots => _options.Snapshots;

    private void RegisterSnapshotHandlers()
    {
        Recover<StreamSnapshot>(InstallSnapshot);
        RecoverSnapshot<StreamSnapshot>(InstallSnapshot);
        Receive<SaveSnapshotSuccess>(OnSnapshotSaved);
        Receive<SaveSnapshotFailure>(f => Log.LogWarning(f.Cause, "Could not save the snapshot at journal #{SequenceNr}: {Reason}; the journal is kept whole until the next one",
            f.Metadata.SequenceNr, f.Cause.Message));
        Receive<DeleteMessagesSuccess>(d => Log.LogDebug("Deleted journal entries up to #{SequenceNr}", d.ToSequenceNr));
        Receive<DeleteMessagesFailure>(d => Log.LogWarning(d.Cause, "Could not delete journal entries up to #{SequenceNr}: {Reason}", d.ToSequenceNr, d.Cause.Message));
        Receive<DeleteSnapshotsSuccess>(d => Log.LogDebug("Deleted snapshots up to #{SequenceNr}", d.MaxSequenceNr));
        Receive<DeleteSnapshotsFailure>(d => Log.LogWarning(d.Cause, "Could not delete snapshots up to #{SequenceNr}: {Reason}", d.MaxSequenceNr, d.Cause.Message));
    }

    /// <summary>After recovery: the snapshot recovery started from is in the journal (unless it was deleted with it).</summary>
    private void SnapshotsRecovered()
    {
        if (SnapshotSequenceNr > 0) _snapshotSeqs.Add(SnapshotSequenceNr);
        MaybeSnapshot();
    }

    /// <summary>A snapshot (recovered, or offered by the sync source) becomes the stream's base and this host's state.</summary>
    private void InstallSnapshot(StreamSnapshot snapshot)
    {
        RestoreBase(snapshot);
        _unreconciled.Clear();
        foreach (var r in snapshot.Unreconciled)
            _unreconciled.Add((ILocalFact)Persistence.Serializer.Deserialize(new JournalEntry(PersistenceId, 0, r.Manifest, Encoding.UTF8.GetBytes(r.Payload), default, [])));
    }

    /// <summary>The stream restarts at the snapshot: nothing after it is kept.</summary>
    private void RestoreBase(StreamSnapshot snapshot)
    {
        _base = snapshot;
        _stream.Rebase(snapshot.Index, snapshot.Digest);
        _state = ClusterState.FromImage(snapshot.State);
        _stateVersion++;
        _fenceRequestAt.Clear();
        foreach (var (node, at) in snapshot.FenceRequestAt ?? ImmutableSortedDictionary<Membership.NodeId, long>.Empty)
            _fenceRequestAt[node] = at;
    }

    private StreamSnapshot CaptureSnapshot() => new(_stream.Count, _stream.Digest, _state.ToImage(), _fenceRequestAt.ToImmutableSortedDictionary(),
        [.. _unreconciled.Select(f =>
        {
            var (manifest, payload) = Persistence.Serializer.Serialize(f);
            return new WireRecord(manifest, Encoding.UTF8.GetString(payload));
        })]);

    /// <summary>Journals a snapshot once the records after the base reach snapshot-every (and nothing else waits to be written).</summary>
    private void MaybeSnapshot()
    {
        if (IsRecovering || _stream.TailCount < Snapshots.Every || WritesQueued) return;
        Persist(CaptureSnapshot(), SnapshotJournaled);
    }

    /// <summary>
    /// The snapshot is in the journal (at <see cref="PersistentActor.LastSequenceNr"/>): memory drops what lies before it, the store gets
    /// it. Saves do not wait for one another (the next snapshot is due after snapshot-every more events whatever the store does).
    /// </summary>
    private void SnapshotJournaled(StreamSnapshot snapshot)
    {
        if (_stream.BaseIndex < snapshot.Index) _stream.TruncateBefore(snapshot.Index);
        _base = snapshot;
        _snapshotSeqs.Add(LastSequenceNr);
        Log.LogDebug("Snapshot of the replicated stream at #{Index} (journal #{SequenceNr})", snapshot.Index, LastSequenceNr);
        SaveSnapshot(snapshot);
    }

    /// <summary>The store holds the snapshot: older snapshots go, and the journal before the audit window.</summary>
    private void OnSnapshotSaved(SaveSnapshotSuccess saved)
    {
        var seq = saved.Metadata.SequenceNr;
        if (seq > 1) DeleteSnapshots(seq - 1);
        // The newest snapshot at least keep-events entries before the latest one: the journal starts there.
        var start = _snapshotSeqs.LastOrDefault(s => s <= seq - Snapshots.KeepEvents);
        if (start <= 1 || start - 1 <= _journalDeletedTo) return;
        _snapshotSeqs.RemoveAll(s => s < start);
        _journalDeletedTo = start - 1;
        DeleteMessages(start - 1);
    }
}
