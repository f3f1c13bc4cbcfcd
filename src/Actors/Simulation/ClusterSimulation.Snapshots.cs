using Haven.Actors.Cluster;

namespace Haven.Actors.Simulation;

/// <summary>
/// Bounded history under the simulation: every seed draws a small snapshot-every and keep-events (from its own
/// random source, so the seed's faults stay what they were), so snapshots, journal deletion, recovery from a
/// snapshot and snapshot + tail sync happen on every seed. The audit reads a host's journal before anything of it
/// is deleted; a snapshot in the journal must hold the state of the events before it, and a host that rebases to
/// an offered snapshot takes over the history of the host it came from.
/// </summary>
public sealed partial class ClusterSimulation
{
    private SnapshotPolicy? _snapshotPolicy;

    /// <summary>The seed's snapshot policy: every 3..40 events, keeping 0..2×that of older journal.</summary>
    private SnapshotPolicy SnapshotPolicyOfSeed()
    {
        if (_snapshotPolicy is not null) return _snapshotPolicy;
        var random = new Random(unchecked(_options.Seed * 48_271 + 11));
        var every = random.Next(3, 41);
        return _snapshotPolicy = new SnapshotPolicy(every, random.Next(0, 2 * every + 1));
    }

    /// <summary>A <see cref="StreamSnapshot"/> read from the host's journal: a periodic one, or a rebase to the sync source's.</summary>
    private void ReadSnapshot(SimulatedHost host, StreamSnapshot snapshot)
    {
        var rebuilt = true;
        if (!HoldsPrefix(host, snapshot))
        {
            var source = _hosts.FirstOrDefault(h => h != host && HoldsPrefix(h, snapshot));
            if (source is null)
            {
                foreach (var other in _hosts.Where(h => h != host)) ReadStream(other);
                source = _hosts.FirstOrDefault(h => h != host && HoldsPrefix(h, snapshot));
            }
            if (source is null)
            {
                _violations.Add(new InvariantViolation(InvariantNames.StreamValid, _step, [host.Id],
                    $"n{host.Id} rebased to a snapshot at #{snapshot.Index} ({Short(snapshot.Digest)}) that no host's history holds"));
                return;
            }
            host.Stream.Truncate(0);
            host.Chain.Clear();
            var records = source.Chain.After(0);
            for (var i = 0; i < snapshot.Index; i++)
            {
                host.Stream.Append(source.Stream.Events[i]);
                host.Chain.Append(records[i].Manifest, records[i].Payload);
            }
            _notes.Add($"n{host.Id} rebases to the snapshot at #{snapshot.Index} of n{source.Id}'s history");
        }
        else if (host.Stream.Count > snapshot.Index)
        {
            host.Stream.Truncate((int)snapshot.Index);
            host.Chain.TruncateAfter(snapshot.Index);
        }
        else
        {
            rebuilt = false; // a periodic snapshot: the audit state is the state of the events already
        }
        if (rebuilt) host.AuditState = Rebuild(host.Stream.Events);
        if (!host.AuditState.Equals(ClusterState.FromImage(snapshot.State)))
            _violations.Add(new InvariantViolation(InvariantNames.StreamValid, _step, [host.Id],
                $"n{host.Id}'s snapshot at #{snapshot.Index} does not hold the state of the events before it"));
    }

    private static bool HoldsPrefix(SimulatedHost host, StreamSnapshot snapshot) =>
        host.Chain.Count >= snapshot.Index && host.Chain.DigestAt(snapshot.Index) == snapshot.Digest;

    private static string Short(string digest) => digest.Length > 12 ? digest[..12] : digest.Length == 0 ? "-" : digest;
}
