using System.Diagnostics;
using Haven.Actors.Cluster;
using Haven.Actors.Membership;

namespace Haven.Bench.Cluster;

/// <summary>ClusterState.Apply throughput on a 24-node cluster with 64 floating addresses: validate + apply per event.</summary>
public sealed class ClusterStateApplyBench : IBench
{
    private const int Goal = 1_000_000;

    public string Name => "cluster-apply";

    public string Description => "ClusterState.Apply events/s (24 nodes, 64 IPs; goal >= 1,000,000/s)";

    public Task RunAsync(TextWriter output)
    {
        var (start, cycle) = Workload();
        Run(start, cycle, 1_000_000); // warm-up: lets tiered JIT reach its optimized code
        foreach (var rounds in new[] { 1_000_000, 1_000_000, 1_000_000 })
        {
            var watch = Stopwatch.StartNew();
            var applied = Run(start, cycle, rounds);
            watch.Stop();
            var perSecond = applied / watch.Elapsed.TotalSeconds;
            output.WriteLine($"cluster-apply: {applied:N0} applies in {watch.Elapsed.TotalMilliseconds:N0} ms = {perSecond:N0}/s "
                + $"(goal {Goal:N0}/s: {(perSecond >= Goal ? "met" : "NOT met")}), {watch.Elapsed.TotalNanoseconds / applied:N0} ns/apply");
        }
        return Task.CompletedTask;
    }

    private static int Run(ClusterState start, IClusterEvent[] cycle, int count)
    {
        var state = start;
        for (var i = 0; i < count; i++) state = state.Apply(cycle[i % cycle.Length]);
        return (int)(state.Version - start.Version);
    }

    /// <summary>A warm cluster, and a cycle of events that returns it to where it started (so it can repeat).</summary>
    private static (ClusterState Start, IClusterEvent[] Cycle) Workload()
    {
        var state = ClusterState.Empty;
        for (uint i = 1; i <= 24; i++)
            state = state.Apply(new NodeJoined(new NodeId(i), $"node{i}")).Apply(new NodeUp(new NodeId(i)));
        for (var i = 0; i < 64; i++)
            state = state.Apply(new IpTaken("eth0", $"10.0.{i / 250}.{i % 250 + 1}", 24, new NodeId((uint)(i % 24 + 1))));
        state = state.Apply(new DcChanged(new NodeId(1)));

        var cycle = new List<IClusterEvent>();
        for (uint n = 2; n <= 24; n++)
        {
            var node = new NodeId(n);
            var ip = $"10.0.1.{n}";
            cycle.Add(new NodeUnhealthy(node, "monitor failed"));
            cycle.Add(new NodeHealthy(node));
            cycle.Add(new IpTaken("eth0", ip, 24, node));
            cycle.Add(new IpReleased("eth0", ip, 24, node));
            cycle.Add(new NodeUnreachable(node));
            cycle.Add(new NodeUp(node));
            cycle.Add(new NodeStandby(node));
            cycle.Add(new NodeUp(node));
        }
        cycle.Add(new RecoveryStarted(new NodeId(1)));
        cycle.Add(new IpReallocated());
        cycle.Add(new RecoveryCompleted());
        var check = state;
        foreach (var e in cycle) check = check.Apply(e); // the cycle must be valid
        return (state, cycle.ToArray());
    }
}
