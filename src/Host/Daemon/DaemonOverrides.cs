using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Host.Daemon;

/// <summary>
/// What an in-process daemon of a test uses in place of the outside world: the transport (a simulated network of several hosts
/// instead of a one-host cluster or Corosync), the address manager (nothing on a real interface) and the VM services (in-memory
/// hypervisors). The `haven` executable never sets them.
/// </summary>
internal sealed record DaemonOverrides
{
    /// <summary>Given this host's cluster options (as read from its config), the transport it joins.</summary>
    public Func<ClusterOptions, IClusterTransport>? Transport { get; init; }

    public IAddressManager? Addresses { get; init; }

    /// <summary>Given the VM services the config gives (policy, placement), the ones this host runs with.</summary>
    public Func<VmServices, VmServices>? Vms { get; init; }
}
