using System.Diagnostics;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;
using Haven.Actors.Placement;
using Haven.Actors.Vms;

namespace Haven.Bench.Vms;

/// <summary>
/// The DC's VM round (<see cref="VmRecovery.Decide"/>: release, stops, PlacementEngine) on the replicated state,
/// 32 hosts × 2,000 and × 10,000 running HA VMs: a steady round (nothing to do; it runs after every applied
/// event) and the round after host 7 was fenced (release and restart its VMs).
/// </summary>
public sealed class VmRecoveryBench : IBench
{
    public string Name => "vm-recovery";

    public string Description => "VmRecovery.Decide on the cluster state, 32 hosts × 2,000 and × 10,000 running VMs: steady round and after one host was fenced";

    public Task RunAsync(TextWriter output)
    {
        var services = new VmServices(new Dictionary<string, IHypervisor>()) { Placement = new PlacementOptions(PlacementStrategy.Balanced, ResourceStickiness: 100) };
        foreach (var count in new[] { 2_000, 10_000 })
        {
            var state = ClusterState.Empty;
            var nodes = Enumerable.Range(1, 32).Select(i => new NodeId((uint)i)).ToArray();
            foreach (var n in nodes) state = state.Apply(new NodeJoined(n, $"node{n.Value}")).Apply(new NodeUp(n));
            for (var v = 0; v < count; v++)
            {
                var name = $"VM-{v:00000}";
                var node = nodes[v % nodes.Length];
                state = state.Apply(new VmAdded(new VmSpec(name, "libvirt", $"/etc/libvirt/qemu/{name}.xml", 1, 1024,
                        [new NodePreference($"node{node.Value}", 50)], AllowMigrate: v % 2 == 0, Priority: v % 5)))
                    .Apply(new VmPlaced(name, node)).Apply(new VmRunning(name, node));
            }
            var steady = Time(() => VmRecovery.Decide(state, nodes, services), out var none);
            var lost = state.Apply(new NodeDown(nodes[6], "lost")).Apply(new NodeFenced(nodes[6], "pdu"));
            var view = nodes.Where(n => n != nodes[6]).ToArray();
            var recovery = Time(() => VmRecovery.Decide(lost, view, services), out var events);
            output.WriteLine($"vm-recovery 32 × {count:N0}: steady round median {steady:N2} ms ({none.Length} events); "
                             + $"after node7 fenced median {recovery:N2} ms ({events.Count(e => e is VmStopped)} released, {events.Count(e => e is VmPlaced)} placed)");
        }
        return Task.CompletedTask;
    }

    private static double Time<T>(Func<T> round, out T result)
    {
        result = round();
        for (var i = 0; i < 3; i++) result = round();
        var times = new double[15];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            result = round();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }
}
