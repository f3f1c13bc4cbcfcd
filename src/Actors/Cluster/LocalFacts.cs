namespace Haven.Actors.Cluster;

/// <summary>
/// What this host did on its own while it was not in the primary partition. Journaled in the host's
/// journal beside the replicated events (but outside the replicated stream) and multicast to the
/// cluster once the host is back in the primary, so nothing it did is lost.
/// </summary>
public interface ILocalFact;

/// <summary>This host's side lost the split-brain decision and it demoted.</summary>
public sealed record DemotedLocally(string Reason) : ILocalFact;

/// <summary>This host released an address it held while demoting.</summary>
public sealed record ReleasedLocally(string Interface, string Ip, int Mask) : ILocalFact;

/// <summary>The local facts journaled before this one have been multicast to the primary.</summary>
public sealed record LocalFactsReconciled(int Count) : ILocalFact;

/// <summary>
/// This host's replicated history had diverged from the primary's (it was in a primary the cluster did
/// not continue); the stream restarts from the records that follow. The old records stay in the journal.
/// </summary>
public sealed record StreamReset(long DivergedAt) : ILocalFact;
