using System.Collections.Immutable;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Simulation;

namespace Haven.Actors.Tests.Simulation;

/// <summary>Hand-made host observations for the invariant checker tests.</summary>
internal static class InvariantTestData
{
    public static NodeId N(uint id) => new(id);

    public static ClusterView View(uint self, PartitionRole role, uint? dc, ClusterState? state = null, long index = 0, string digest = "d0") =>
        new("sim", new Member(N(self), $"n{self}"), dc is { } d ? N(d) : null, role == PartitionRole.Primary, role,
            [], state ?? ClusterState.Empty, index, digest);

    public static HostObservation Host(uint id, PartitionRole role, uint? dc, uint[] networkView, int side = 0,
        bool powered = true, bool running = true, StreamObservation? stream = null, ClusterState? state = null,
        long index = 0, string digest = "d0") =>
        new(N(id), powered, running, side, networkView.Select(N).ToImmutableArray(),
            View(id, role, dc, state, index, digest), stream ?? new StreamObservation());

    /// <summary>Nodes 1..n joined and up, node 1 the DC.</summary>
    public static IClusterEvent[] Formed(uint n) =>
    [
        .. Enumerable.Range(1, (int)n).SelectMany(i => new IClusterEvent[] { new NodeJoined(N((uint)i), $"n{i}"), new NodeUp(N((uint)i)) }),
        new DcChanged(N(1)),
    ];

    public static IpTaken Take(string ip, uint node) => new("eth0", ip, 24, N(node));

    public static IpReleased Release(string ip, uint node) => new("eth0", ip, 24, N(node));
}
