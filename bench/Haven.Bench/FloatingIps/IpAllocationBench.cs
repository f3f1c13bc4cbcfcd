using System.Diagnostics;
using Haven.Actors.FloatingIps;
using Haven.Actors.Membership;

namespace Haven.Bench.FloatingIps;

/// <summary>AddressAllocator on CTDB's worst case: 900 addresses over 30 hosts — from scratch, and after losing one host.</summary>
public sealed class IpAllocationBench : IBench
{
    private static readonly TimeSpan Goal = TimeSpan.FromMilliseconds(100); // CTDB's LCP2 claims under 10 s

    public string Name => "ip-allocation";

    public string Description => "AddressAllocator: 900 addresses over 30 hosts, from empty and after a host loss (goal < 100 ms; CTDB < 10 s)";

    public Task RunAsync(TextWriter output)
    {
        var addresses = Enumerable.Range(0, 900)
            .Select(i => new FloatingAddress($"10.{i / 250}.{i % 250}.1", 16, "eth" + (i % 3), Group: "g" + (i % 9)))
            .ToList();
        var nodes = Enumerable.Range(1, 30).Select(i => new NodeId((uint)i)).ToArray();
        var survivors = nodes.Where(n => n.Value != 17).ToArray();
        var empty = new Dictionary<string, NodeId>();
        var full = AddressAllocator.Allocate(addresses, empty, nodes).Assignment;
        var fewer = AddressAllocator.Allocate(addresses, full, survivors).Assignment;
        var rebalance = new AllocatorOptions(Rebalance: true);

        foreach (var (label, run) in new (string, Func<Allocation>)[]
        {
            ("from empty", () => AddressAllocator.Allocate(addresses, empty, nodes)),
            ("host 17 lost", () => AddressAllocator.Allocate(addresses, full, survivors)),
            ("host 17 back, rebalance", () => AddressAllocator.Allocate(addresses, fewer, nodes, rebalance)),
        })
        {
            for (var i = 0; i < 20; i++) run(); // warm-up
            const int rounds = 200;
            var watch = Stopwatch.StartNew();
            var moves = 0;
            for (var i = 0; i < rounds; i++) moves = run().Moves.Length;
            watch.Stop();
            var each = watch.Elapsed / rounds;
            output.WriteLine($"ip-allocation {label}: {each.TotalMilliseconds:N3} ms per allocation ({moves} moves; "
                + $"goal < {Goal.TotalMilliseconds:N0} ms: {(each < Goal ? "met" : "NOT met")})");
        }
        return Task.CompletedTask;
    }
}
