using System.Collections.Immutable;
using Haven.Actors.Cluster;

namespace Haven.Actors.Hosts;

// ---- ClusterActor -> HostActor ------------------------------------------------------------------

/// <summary>
/// Put <paramref name="Address"/> on this host's interface (<paramref name="Probe"/>: run the duplicate-address probe
/// first). <paramref name="Attempt"/> counts the tries before (0 the first); a failure is answered with <see cref="IpTakeFailed"/>.
/// </summary>
public sealed record TakeIp(PublicAddress Address, bool Probe, int Attempt);

/// <summary>
/// Take <paramref name="Addresses"/> off this host's interfaces. With a <paramref name="Report"/>, the HostActor answers
/// once every release has ended: <see cref="IpsReleased"/> carrying it back (with the first failure's reason, if any).
/// </summary>
public sealed record ReleaseIps(ImmutableArray<PublicAddress> Addresses, object? Report = null);

// ---- HostActor -> ClusterActor ------------------------------------------------------------------

/// <summary>Taking <paramref name="Ip"/> failed at try <paramref name="Attempt"/> (0 the first): the ClusterActor retries while the state gives it here.</summary>
public sealed record IpTakeFailed(string Ip, int Attempt, string Reason);

/// <summary>The releases asked with <paramref name="Report"/> have ended; <paramref name="Failure"/> is null when every one succeeded.</summary>
public sealed record IpsReleased(object Report, string? Failure);
