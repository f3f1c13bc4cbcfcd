using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Haven.Actors.Membership;

namespace Haven.Actors.FloatingIps;

/// <summary>
/// Decides which eligible host holds each public address. Pure and deterministic: addresses are taken in
/// address order and hosts in node-id order, so the input's order (and any dictionary's) never matters.
/// <list type="number">
/// <item>An address stays on its holder while the holder is eligible (a healthy member of the primary partition).</item>
/// <item>A free address (unassigned, or its holder not eligible) goes to its preferred host when that host is eligible.</item>
/// <item>Every other free address goes to the least loaded eligible host; among equally loaded hosts, to the one
/// holding fewest addresses of the same group (default group: the address's subnet, as CTDB spreads subnets);
/// then to the lowest node id. Free addresses are placed group by group, in address order inside a group.
/// Starting from loads within one of each other, the result stays within one address per host — the bound
/// CTDB's LCP2 reaches — without LCP2's quadratic search.</item>
/// </list>
/// See <see cref="AllocatorOptions"/> for failback and rebalancing.
/// </summary>
public static class AddressAllocator
{
    /// <summary>Allocates <paramref name="addresses"/> over <paramref name="eligible"/>, starting from <paramref name="current"/> (address → holder).</summary>
    /// <exception cref="ArgumentException">An address is not an IP address, has an impossible mask, or is configured twice.</exception>
    public static Allocation Allocate(
        IEnumerable<FloatingAddress> addresses,
        IReadOnlyDictionary<string, NodeId> current,
        IEnumerable<NodeId> eligible,
        AllocatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(eligible);
        options ??= AllocatorOptions.Default;

        var entries = Validate(addresses);
        var nodes = eligible.Distinct().Order().ToArray();
        var index = new Dictionary<NodeId, int>();
        for (var n = 0; n < nodes.Length; n++) index[nodes[n]] = n;
        var holders = new Dictionary<string, NodeId>(StringComparer.Ordinal);
        foreach (var (ip, node) in current.OrderBy(kv => kv.Key, StringComparer.Ordinal)) holders[Normalize(ip)] = node; // one spelling wins, always the same

        // hot loops work on indices: node n, group g, load[n], groupLoad[n * groupCount + g], placed[i] (-1: free)
        var groupOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var group = entries.Select(e => groupOf.TryGetValue(e.Group, out var g) ? g : groupOf[e.Group] = groupOf.Count).ToArray();
        var groupCount = Math.Max(1, groupOf.Count);
        var load = new int[nodes.Length];
        var groupLoad = new int[nodes.Length * groupCount];
        var placed = new int[entries.Length];
        Array.Fill(placed, -1);
        int? Eligible(NodeId? node) => node is { } id && index.TryGetValue(id, out var n) ? n : null;

        void Place(int i, int node)
        {
            placed[i] = node;
            load[node]++;
            groupLoad[(node * groupCount) + group[i]]++;
        }

        void Unplace(int i)
        {
            var node = placed[i];
            placed[i] = -1;
            load[node]--;
            groupLoad[(node * groupCount) + group[i]]--;
        }

        // 1. keep what sits on an eligible holder (unless failback pulls it to its preferred host)
        for (var i = 0; i < entries.Length; i++)
        {
            if (!holders.TryGetValue(entries[i].Ip, out var h) || Eligible(h) is not { } holder) continue;
            if (options.FailbackToPreferred && Eligible(entries[i].Address.PreferredNode) is { } p && p != holder) continue;
            Place(i, holder);
        }

        // 2. free addresses whose preferred host is eligible go there
        for (var i = 0; i < entries.Length; i++)
        {
            if (placed[i] < 0 && Eligible(entries[i].Address.PreferredNode) is { } p) Place(i, p);
        }

        // 3. the rest: least loaded, then fewest of the group, then lowest id — group by group
        if (nodes.Length > 0)
        {
            var free = Enumerable.Range(0, entries.Length).Where(i => placed[i] < 0)
                .OrderBy(i => entries[i].Group, StringComparer.Ordinal).ThenBy(i => i).ToList();
            foreach (var i in free)
            {
                var best = 0;
                for (var n = 1; n < nodes.Length; n++)
                {
                    if (load[n] < load[best]
                        || (load[n] == load[best] && groupLoad[(n * groupCount) + group[i]] < groupLoad[(best * groupCount) + group[i]]))
                        best = n;
                }
                Place(i, best);
            }
        }

        // 4. optional: level the loads to within one, moving the addresses that least hurt group spreading
        if (options.Rebalance && nodes.Length > 1)
        {
            var byLoad = Enumerable.Range(0, nodes.Length).ToArray();
            while (true)
            {
                var target = 0;
                for (var n = 1; n < nodes.Length; n++) if (load[n] < load[target]) target = n;
                Array.Sort(byLoad, (a, b) => load[a] != load[b] ? load[b].CompareTo(load[a]) : a.CompareTo(b));
                var move = -1;
                foreach (var donor in byLoad)
                {
                    if (load[donor] - load[target] < 2) break;
                    var bestScore = int.MinValue;
                    for (var i = 0; i < entries.Length; i++)
                    {
                        if (placed[i] != donor || entries[i].Address.PreferredNode == nodes[donor]) continue;
                        var score = groupLoad[(donor * groupCount) + group[i]] - groupLoad[(target * groupCount) + group[i]];
                        if (score > bestScore) (bestScore, move) = (score, i);
                    }
                    if (move >= 0) break;
                }
                if (move < 0) break;
                Unplace(move);
                Place(move, target);
            }
        }

        return Result(entries, [.. placed.Select(n => n < 0 ? (NodeId?)null : nodes[n])], holders);
    }

    private static Allocation Result(Entry[] entries, NodeId?[] placed, Dictionary<string, NodeId> holders)
    {
        var assignment = ImmutableSortedDictionary.CreateBuilder<string, NodeId>(IpComparer.Instance);
        var moves = new List<(byte[] Key, AddressMove Move)>();
        var unassigned = ImmutableArray.CreateBuilder<string>();
        var configured = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Length; i++)
        {
            var e = entries[i];
            configured.Add(e.Ip);
            if (placed[i] is { } node) assignment[e.Ip] = node;
            else unassigned.Add(e.Ip);
            NodeId? before = holders.TryGetValue(e.Ip, out var h) ? h : null;
            if (before != placed[i]) moves.Add((e.Key, new AddressMove(e.Ip, e.Address.Mask, e.Address.Interface, before, placed[i])));
        }

        // addresses no longer configured are released by their holder
        foreach (var (ip, node) in holders.Where(h => !configured.Contains(h.Key)))
        {
            var key = IPAddress.TryParse(ip, out var parsed) ? Key(parsed) : [];
            moves.Add((key, new AddressMove(ip, 0, "", node, null)));
        }

        var ordered = moves.OrderBy(m => m.Key, ByteKeyComparer.Instance).ThenBy(m => m.Move.Ip, StringComparer.Ordinal).Select(m => m.Move);
        return new Allocation(assignment.ToImmutable(), [.. ordered], unassigned.ToImmutable());
    }

    private sealed record Entry(FloatingAddress Address, string Ip, byte[] Key, string Group);

    private static Entry[] Validate(IEnumerable<FloatingAddress> addresses)
    {
        var list = new List<Entry>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var position = 0;
        foreach (var a in addresses)
        {
            position++;
            if (a is null || !IPAddress.TryParse(a.Ip, out var ip))
                throw new ArgumentException($"public address {position} ('{a?.Ip}') is not an IP address", nameof(addresses));
            var bits = ip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
            if (a.Mask < 0 || a.Mask > bits)
                throw new ArgumentException($"public address {position} ('{a.Ip}') has mask /{a.Mask}; it must be 0..{bits}", nameof(addresses));
            if (string.IsNullOrWhiteSpace(a.Interface))
                throw new ArgumentException($"public address {position} ('{a.Ip}') has no interface", nameof(addresses));
            var normal = ip.ToString();
            if (seen.TryGetValue(normal, out var first))
                throw new ArgumentException($"public address {normal} is configured twice (entries {first} and {position})", nameof(addresses));
            seen[normal] = position;
            var group = a.Group is { Length: > 0 } g ? "group:" + g : "subnet:" + Subnet(ip, a.Mask);
            list.Add(new Entry(a, normal, Key(ip), group));
        }

        return [.. list.OrderBy(e => e.Key, ByteKeyComparer.Instance)];
    }

    private static string Normalize(string ip) => IPAddress.TryParse(ip, out var parsed) ? parsed.ToString() : ip;

    private static string Subnet(IPAddress ip, int mask)
    {
        var bytes = ip.GetAddressBytes();
        for (var b = 0; b < bytes.Length; b++)
        {
            var keep = Math.Clamp(mask - (b * 8), 0, 8);
            bytes[b] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes).ToString() + "/" + mask.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Sort key: IPv4 before IPv6, then the address bytes.</summary>
    private static byte[] Key(IPAddress ip) => [(byte)(ip.AddressFamily == AddressFamily.InterNetwork ? 4 : 6), .. ip.GetAddressBytes()];

    private sealed class ByteKeyComparer : IComparer<byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y.AsSpan());
    }

    /// <summary>Orders address strings by their parsed value (10.0.0.2 before 10.0.0.10); unparsable ones last, ordinally.</summary>
    public sealed class IpComparer : IComparer<string>
    {
        public static readonly IpComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var px = IPAddress.TryParse(x, out var a);
            var py = IPAddress.TryParse(y, out var b);
            if (px && py)
            {
                var c = ByteKeyComparer.Instance.Compare(Key(a!), Key(b!));
                if (c != 0) return c;
            }
            else if (px != py)
            {
                return px ? -1 : 1;
            }
            return StringComparer.Ordinal.Compare(x, y);
        }
    }
}
