using System.Collections.Immutable;
using Haven.Actors.Membership;
using Haven.Actors.Vms;

namespace Haven.Actors.Cluster;

/// <summary>
/// <see cref="ClusterState"/> as a snapshot stores and ships it: every field, with sorted maps (string-keyed ones as
/// sorted lists: the serializer camel-cases dictionary keys) so that the same state always gives the same JSON. A field added to ClusterState is added here too (the round-trip test fails
/// otherwise); a field missing from an older snapshot takes its default.
/// </summary>
public sealed record ClusterStateImage(
    ImmutableSortedDictionary<NodeId, NodeInfo> Nodes,
    NodeId? Dc,
    ImmutableSortedSet<NodeId> Demoted,
    ImmutableArray<IpAssignment> Ips,
    ImmutableSortedDictionary<NodeId, FenceRequest> PendingFences,
    long RecoveryGeneration,
    bool RecoveryInProgress,
    NodeId? RecoveryCoordinator,
    long IpReallocations,
    long NextJoinOrder,
    long Version,
    long Epoch,
    ImmutableSortedSet<NodeId> PrimaryMembers,
    ImmutableSortedDictionary<NodeId, bool> Heuristics,
    ImmutableArray<SettingValue> Settings,
    ImmutableArray<VmInfo> Vms,
    ImmutableSortedDictionary<string, NodeId>? VacatedByFence = null,
    ImmutableArray<NodeHoldings> Holdings = default,
    ImmutableSortedDictionary<string, long>? IpHoldings = null);

/// <summary>One cluster-wide setting in a <see cref="ClusterStateImage"/>.</summary>
public sealed record SettingValue(string Key, string Value);

public sealed partial record ClusterState
{
    /// <summary>This state as a snapshot holds it.</summary>
    public ClusterStateImage ToImage() => new(
        Nodes.ToImmutableSortedDictionary(),
        Dc,
        Demoted.ToImmutableSortedSet(),
        [.. Ips.Values.OrderBy(a => a.Ip, StringComparer.Ordinal)],
        PendingFences.ToImmutableSortedDictionary(),
        RecoveryGeneration,
        RecoveryInProgress,
        RecoveryCoordinator,
        IpReallocations,
        NextJoinOrder,
        Version,
        Epoch,
        PrimaryMembers,
        Heuristics.ToImmutableSortedDictionary(),
        [.. Settings.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => new SettingValue(s.Key, s.Value))],
        [.. Vms.Values],
        VacatedByFence.ToImmutableSortedDictionary(StringComparer.Ordinal),
        [.. Holdings.Values.OrderBy(h => h.Node)],
        IpHoldings.ToImmutableSortedDictionary(StringComparer.Ordinal));

    /// <summary>The state a snapshot holds (equal to the one it was taken of).</summary>
    public static ClusterState FromImage(ClusterStateImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Empty with
        {
            Nodes = (image.Nodes ?? ImmutableSortedDictionary<NodeId, NodeInfo>.Empty).ToImmutableDictionary(),
            Dc = image.Dc,
            Demoted = (image.Demoted ?? []).ToImmutableHashSet(),
            Ips = (image.Ips.IsDefault ? [] : image.Ips).ToImmutableDictionary(a => a.Ip),
            PendingFences = (image.PendingFences ?? ImmutableSortedDictionary<NodeId, FenceRequest>.Empty).ToImmutableDictionary(),
            RecoveryGeneration = image.RecoveryGeneration,
            RecoveryInProgress = image.RecoveryInProgress,
            RecoveryCoordinator = image.RecoveryCoordinator,
            IpReallocations = image.IpReallocations,
            NextJoinOrder = image.NextJoinOrder,
            Version = image.Version,
            Epoch = image.Epoch,
            PrimaryMembers = image.PrimaryMembers ?? [],
            Heuristics = (image.Heuristics ?? ImmutableSortedDictionary<NodeId, bool>.Empty).ToImmutableDictionary(),
            Settings = (image.Settings.IsDefault ? [] : image.Settings).ToImmutableDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal),
            Vms = (image.Vms.IsDefault ? [] : image.Vms).ToImmutableSortedDictionary(v => v.Name, v => v, StringComparer.Ordinal),
            VacatedByFence = (image.VacatedByFence ?? ImmutableSortedDictionary<string, NodeId>.Empty).ToImmutableDictionary(),
            Holdings = (image.Holdings.IsDefault ? [] : image.Holdings).ToImmutableDictionary(h => h.Node),
            IpHoldings = (image.IpHoldings ?? ImmutableSortedDictionary<string, long>.Empty).ToImmutableDictionary(),
        };
    }
}
