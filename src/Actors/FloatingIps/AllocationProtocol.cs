using System.Collections.Immutable;
using Haven.Actors.Membership;

namespace Haven.Actors.FloatingIps;

/// <summary>
/// One configured public (floating) address: <paramref name="Ip"/> with its prefix length <paramref name="Mask"/>
/// on <paramref name="Interface"/>; optionally a preferred host and a group (addresses of one group are spread
/// over as many hosts as possible, like CTDB spreads the addresses of one subnet).
/// </summary>
public sealed record FloatingAddress(string Ip, int Mask, string Interface, NodeId? PreferredNode = null, string? Group = null);

/// <summary>
/// One change of holder: release <see cref="Address"/> on <see cref="ReleaseFrom"/> (null: nobody held it), then
/// take it on <see cref="TakeOn"/> (null: no eligible host, or the address is no longer configured).
/// A release from a host that is not eligible (lost, fenced) is bookkeeping: that host cannot be asked.
/// For an address no longer configured the allocator knows neither mask nor interface (0 and ""): the caller takes
/// them from its own record of the holder.
/// </summary>
public sealed record AddressMove(string Ip, int Mask, string Interface, NodeId? ReleaseFrom, NodeId? TakeOn);

/// <summary>The outcome of <see cref="AddressAllocator.Allocate"/>: the full new assignment and the moves from the old one, in address order.</summary>
public sealed record Allocation(ImmutableSortedDictionary<string, NodeId> Assignment, ImmutableArray<AddressMove> Moves, ImmutableArray<string> Unassigned);

/// <summary>Knobs of the allocator; the defaults are CTDB's conservative behaviour minus its automatic rebalancing.</summary>
/// <param name="FailbackToPreferred">
/// Move an address back to its preferred host as soon as that host is eligible, even while its holder is healthy
/// (off by default: a failback is a second interruption for the address's clients).
/// </param>
/// <param name="Rebalance">
/// After placing, move addresses from the most to the least loaded hosts until loads differ by at most one
/// (off by default: a joining host then gets only addresses that are freed; on, it takes its share at once —
/// CTDB's behaviour with NoIPFailback = 0). Addresses sitting on their eligible preferred host never move.
/// </param>
public sealed record AllocatorOptions(bool FailbackToPreferred = false, bool Rebalance = false)
{
    public static AllocatorOptions Default { get; } = new();
}
