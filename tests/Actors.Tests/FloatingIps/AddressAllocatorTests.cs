using System.Collections.Immutable;
using Haven.Actors.FloatingIps;
using Haven.Actors.Membership;

namespace Haven.Actors.Tests.FloatingIps;

public sealed class AddressAllocatorTests
{
    private static NodeId N(uint id) => new(id);

    private static NodeId[] Nodes(params uint[] ids) => [.. ids.Select(N)];

    private static List<FloatingAddress> Addresses(int count, string prefix = "10.0.0.", string? group = null) =>
        [.. Enumerable.Range(1, count).Select(i => new FloatingAddress(prefix + i, 24, "eth0", Group: group))];

    private static Dictionary<NodeId, int> Loads(Allocation a, IEnumerable<NodeId> nodes) =>
        nodes.ToDictionary(n => n, n => a.Assignment.Values.Count(v => v == n));

    [Fact]
    public void Allocate_NothingChanged_MovesNothing()
    {
        var addresses = Addresses(10);
        var first = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), Nodes(1, 2, 3));
        var second = AddressAllocator.Allocate(addresses, first.Assignment, Nodes(1, 2, 3));

        Assert.Equal(10, first.Moves.Length);
        Assert.Empty(second.Moves);
        Assert.Equal(first.Assignment, second.Assignment);
    }

    [Fact]
    public void Allocate_FromEmpty_BalancesWithinOneAddressPerNode()
    {
        var nodes = Nodes(1, 2, 3, 4);
        var result = AddressAllocator.Allocate(Addresses(10), new Dictionary<string, NodeId>(), nodes);

        var loads = Loads(result, nodes);
        Assert.Equal(10, result.Assignment.Count);
        Assert.True(loads.Values.Max() - loads.Values.Min() <= 1, string.Join(",", loads.Values));
        Assert.All(result.Moves, m => Assert.Null(m.ReleaseFrom));
    }

    [Fact]
    public void Allocate_NodeLost_MovesOnlyItsAddressesAndStaysBalanced()
    {
        var addresses = Addresses(12);
        var before = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), Nodes(1, 2, 3, 4));
        var after = AddressAllocator.Allocate(addresses, before.Assignment, Nodes(1, 2, 4));

        var lost = before.Assignment.Where(kv => kv.Value == N(3)).Select(kv => kv.Key).ToHashSet();
        Assert.Equal(3, lost.Count);
        Assert.Equal(lost, after.Moves.Select(m => m.Ip).ToHashSet());
        Assert.All(after.Moves, m => Assert.Equal(N(3), m.ReleaseFrom));
        Assert.All(after.Moves, m => Assert.NotEqual(N(3), m.TakeOn!.Value));
        Assert.All(before.Assignment.Where(kv => kv.Value != N(3)), kv => Assert.Equal(kv.Value, after.Assignment[kv.Key]));
        Assert.All(Loads(after, Nodes(1, 2, 4)).Values, l => Assert.Equal(4, l));
    }

    [Fact]
    public void Allocate_NodeReturns_GetsNothingBackByDefault_AndItsShareWithRebalance()
    {
        var addresses = Addresses(12);
        var degraded = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), Nodes(1, 2, 4));

        var plain = AddressAllocator.Allocate(addresses, degraded.Assignment, Nodes(1, 2, 3, 4));
        var rebalanced = AddressAllocator.Allocate(addresses, degraded.Assignment, Nodes(1, 2, 3, 4), new AllocatorOptions(Rebalance: true));

        Assert.Empty(plain.Moves);
        Assert.Equal(3, rebalanced.Moves.Length);
        Assert.All(rebalanced.Moves, m => Assert.Equal(N(3), m.TakeOn));
        Assert.All(Loads(rebalanced, Nodes(1, 2, 3, 4)).Values, l => Assert.Equal(3, l));
    }

    [Fact]
    public void Allocate_PreferredNodeEligible_GetsItsFreeAddress()
    {
        var addresses = Addresses(6);
        addresses[4] = addresses[4] with { PreferredNode = N(3) };
        addresses[5] = addresses[5] with { PreferredNode = N(3) };

        var result = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), Nodes(1, 2, 3));

        Assert.Equal(N(3), result.Assignment["10.0.0.5"]);
        Assert.Equal(N(3), result.Assignment["10.0.0.6"]);
        Assert.DoesNotContain(result.Assignment.Where(kv => kv.Key is not "10.0.0.5" and not "10.0.0.6"), kv => kv.Value == N(3));
    }

    [Fact]
    public void Allocate_PreferredNodeBack_NoFailbackByDefault_FailbackWhenAsked()
    {
        var addresses = new[] { new FloatingAddress("10.0.0.1", 24, "eth0", PreferredNode: N(2)) };
        var held = new Dictionary<string, NodeId> { ["10.0.0.1"] = N(1) };

        var sticky = AddressAllocator.Allocate(addresses, held, Nodes(1, 2));
        var failback = AddressAllocator.Allocate(addresses, held, Nodes(1, 2), new AllocatorOptions(FailbackToPreferred: true));

        Assert.Empty(sticky.Moves);
        Assert.Equal(new AddressMove("10.0.0.1", 24, "eth0", N(1), N(2)), Assert.Single(failback.Moves));
    }

    [Fact]
    public void Allocate_HolderLostAndPreferredNodeEligible_AddressGoesToPreferred()
    {
        var addresses = new[] { new FloatingAddress("10.0.0.1", 24, "eth0", PreferredNode: N(3)), new FloatingAddress("10.0.0.2", 24, "eth0") };
        var held = new Dictionary<string, NodeId> { ["10.0.0.1"] = N(1), ["10.0.0.2"] = N(3) };

        var result = AddressAllocator.Allocate(addresses, held, Nodes(2, 3));

        Assert.Equal(new AddressMove("10.0.0.1", 24, "eth0", N(1), N(3)), Assert.Single(result.Moves));
    }

    [Fact]
    public void Allocate_FailbackButPreferredNotEligible_AddressStays()
    {
        var addresses = new[] { new FloatingAddress("10.0.0.1", 24, "eth0", PreferredNode: N(2)) };
        var held = new Dictionary<string, NodeId> { ["10.0.0.1"] = N(1) };

        var result = AddressAllocator.Allocate(addresses, held, Nodes(1, 3), new AllocatorOptions(FailbackToPreferred: true));

        Assert.Empty(result.Moves);
    }

    [Fact]
    public void Allocate_RebalanceWithAddressesPinnedToTheirPreferredHost_MovesOnlyUnpinned()
    {
        var addresses = Enumerable.Range(1, 6)
            .Select(i => new FloatingAddress("10.0.0." + i, 24, "eth0", PreferredNode: i <= 4 ? N(1) : null)).ToList();
        var held = addresses.ToDictionary(a => a.Ip, _ => N(1));

        var result = AddressAllocator.Allocate(addresses, held, Nodes(1, 2), new AllocatorOptions(Rebalance: true));

        Assert.Equal(["10.0.0.5", "10.0.0.6"], result.Moves.Select(m => m.Ip));
        Assert.All(result.Moves, m => Assert.Equal((N(1), N(2)), (m.ReleaseFrom!.Value, m.TakeOn!.Value)));
    }

    [Fact]
    public void Allocate_PreferredNodeNotEligible_AddressGoesElsewhere()
    {
        var addresses = new[] { new FloatingAddress("10.0.0.1", 24, "eth0", PreferredNode: N(9)) };

        var result = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), Nodes(2, 1));

        Assert.Equal(N(1), result.Assignment["10.0.0.1"]);
    }

    [Fact]
    public void Allocate_TwoGroups_EachGroupSpreadOverAllNodes()
    {
        // group A's addresses all sort before group B's, so a plain round robin would still spread;
        // interleave them so that only group awareness spreads both
        var addresses = Enumerable.Range(1, 8)
            .Select(i => new FloatingAddress("10.0.0." + i, 24, "eth0", Group: i % 2 == 0 ? "a" : (i <= 4 ? "b" : "c")))
            .ToList();
        var nodes = Nodes(1, 2, 3, 4);

        var result = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), nodes);

        var groupA = addresses.Where(a => a.Group == "a").Select(a => result.Assignment[a.Ip]).ToList();
        Assert.Equal(4, groupA.Distinct().Count());
        Assert.All(Loads(result, nodes).Values, l => Assert.Equal(2, l));
    }

    [Fact]
    public void Allocate_EquallyLoadedNodes_FreeAddressGoesWhereItsGroupIsNot()
    {
        var addresses = new[]
        {
            new FloatingAddress("10.0.0.1", 24, "eth0", Group: "a"), new FloatingAddress("10.0.0.2", 24, "eth0", Group: "b"),
            new FloatingAddress("10.0.0.3", 24, "eth0", Group: "a"), new FloatingAddress("10.0.0.4", 24, "eth0", Group: "b"),
        };
        var held = new Dictionary<string, NodeId> { ["10.0.0.1"] = N(1), ["10.0.0.2"] = N(2) };

        var result = AddressAllocator.Allocate(addresses, held, Nodes(1, 2));

        Assert.Equal(N(2), result.Assignment["10.0.0.3"]);
        Assert.Equal(N(1), result.Assignment["10.0.0.4"]);
    }

    [Fact]
    public void Allocate_SubnetsWithoutGroups_SpreadLikeGroups()
    {
        var addresses = Addresses(2, "10.0.1.").Concat(Addresses(2, "10.0.2.")).ToList();
        var nodes = Nodes(1, 2);

        var result = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), nodes);

        Assert.NotEqual(result.Assignment["10.0.1.1"], result.Assignment["10.0.1.2"]);
        Assert.NotEqual(result.Assignment["10.0.2.1"], result.Assignment["10.0.2.2"]);
    }

    [Fact]
    public void Allocate_ShuffledInput_SameOutput()
    {
        var addresses = Addresses(40, "10.1.0.").Concat(Addresses(20, "10.2.0.", "g")).ToList();
        var nodes = Nodes(5, 1, 9, 3, 7);
        var current = new Dictionary<string, NodeId> { ["10.1.0.3"] = N(9), ["10.1.0.4"] = N(4), ["10.2.0.1"] = N(1) };
        var expected = AddressAllocator.Allocate(addresses, current, nodes);

        var random = new Random(42);
        for (var round = 0; round < 20; round++)
        {
            var shuffledCurrent = current.OrderBy(_ => random.Next()).ToDictionary(kv => kv.Key, kv => kv.Value);
            var result = AddressAllocator.Allocate(addresses.OrderBy(_ => random.Next()), shuffledCurrent, nodes.OrderBy(_ => random.Next()));
            Assert.Equal(expected.Assignment, result.Assignment);
            Assert.Equal(expected.Moves.ToArray(), result.Moves.ToArray());
        }
    }

    [Fact]
    public void Allocate_NoEligibleNode_ReleasesEverythingAndReportsUnassigned()
    {
        var held = new Dictionary<string, NodeId> { ["10.0.0.1"] = N(1) };

        var result = AddressAllocator.Allocate(Addresses(2), held, []);

        Assert.Empty(result.Assignment);
        Assert.Equal(new[] { "10.0.0.1", "10.0.0.2" }, result.Unassigned.ToArray());
        Assert.Equal(new AddressMove("10.0.0.1", 24, "eth0", N(1), null), Assert.Single(result.Moves));
    }

    [Fact]
    public void Allocate_AddressRemovedFromConfig_IsReleased()
    {
        var held = new Dictionary<string, NodeId> { ["10.0.0.1"] = N(1), ["10.0.0.99"] = N(2) };

        var result = AddressAllocator.Allocate(Addresses(1), held, Nodes(1, 2));

        var move = Assert.Single(result.Moves);
        Assert.Equal(("10.0.0.99", (NodeId?)N(2), (NodeId?)null), (move.Ip, move.ReleaseFrom, move.TakeOn));
    }

    [Theory]
    [InlineData("10.0.0.300", 24, "is not an IP address")]
    [InlineData("10.0.0.1", 33, "mask /33")]
    public void Allocate_BadAddress_ThrowsNamingIt(string ip, int mask, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            AddressAllocator.Allocate([new FloatingAddress(ip, mask, "eth0")], new Dictionary<string, NodeId>(), Nodes(1)));

        Assert.Contains(ip, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Allocate_DuplicateAddress_ThrowsNamingBothEntries()
    {
        var error = Assert.Throws<ArgumentException>(() => AddressAllocator.Allocate(
            [new FloatingAddress("10.0.0.1", 24, "eth0"), new FloatingAddress("10.0.0.01", 24, "eth1")], new Dictionary<string, NodeId>(), Nodes(1)));

        Assert.Contains("10.0.0.1 is configured twice (entries 1 and 2)", error.Message);
    }

    [Fact]
    public void Allocate_900AddressesOver30Hosts_BalancedStableAndFailsOverOneHost()
    {
        var addresses = Enumerable.Range(0, 900)
            .Select(i => new FloatingAddress($"10.{i / 250}.{i % 250}.1", 16, "eth" + (i % 3), Group: "g" + (i % 9)))
            .ToList();
        var nodes = Enumerable.Range(1, 30).Select(i => N((uint)i)).ToArray();

        var first = AddressAllocator.Allocate(addresses, new Dictionary<string, NodeId>(), nodes);
        Assert.Equal(900, first.Assignment.Count);
        Assert.All(Loads(first, nodes).Values, l => Assert.Equal(30, l));
        foreach (var group in addresses.GroupBy(a => a.Group))
        {
            var perNode = group.GroupBy(a => first.Assignment[a.Ip]).Select(g => g.Count()).ToList();
            Assert.Equal(30, perNode.Count); // 100 addresses of a group over 30 hosts: every host has some
            Assert.True(perNode.Max() - perNode.Min() <= 1, $"group {group.Key}: {string.Join(",", perNode)}");
        }

        var survivors = nodes.Where(n => n != N(17)).ToArray();
        var second = AddressAllocator.Allocate(addresses, first.Assignment, survivors);
        Assert.Equal(30, second.Moves.Length);
        Assert.All(second.Moves, m => Assert.Equal(N(17), m.ReleaseFrom));
        var loads = Loads(second, survivors).Values;
        Assert.True(loads.Max() - loads.Min() <= 1, string.Join(",", loads));
    }
}
