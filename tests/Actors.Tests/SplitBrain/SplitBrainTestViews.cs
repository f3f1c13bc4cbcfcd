using System.Collections.Immutable;
using Haven.Actors.Membership;
using Haven.Actors.SplitBrain;

namespace Haven.Actors.Tests.SplitBrain;

internal static class SplitBrainTestViews
{
    public static ImmutableSortedSet<NodeId> Set(IEnumerable<uint> ids) => ids.Select(i => new NodeId(i)).ToImmutableSortedSet();

    /// <summary>Nodes 1..n, joined in id order unless an order is given.</summary>
    public static ImmutableArray<ConfiguredNode> Configured(int n, Func<uint, long>? age = null) =>
        Enumerable.Range(1, n).Select(i => new ConfiguredNode(new NodeId((uint)i), age?.Invoke((uint)i) ?? i)).ToImmutableArray();

    public static SplitBrainView View(uint[] reachable, uint[] unreachable, int? configured = null,
        bool? quorate = null, bool? heuristics = null, bool? otherHeuristics = null, Func<uint, long>? age = null) =>
        new(Set(reachable), Set(unreachable), Configured(configured ?? reachable.Length + unreachable.Length, age),
            quorate, heuristics, otherHeuristics);

    /// <summary>Every split of nodes 1..n into two non-empty sides, as (side, other side).</summary>
    public static IEnumerable<(uint[] Side, uint[] Other)> TwoWaySplits(int n)
    {
        var all = Enumerable.Range(1, n).Select(i => (uint)i).ToArray();
        for (var mask = 1; mask < (1 << n) - 1; mask++)
        {
            var side = all.Where((_, i) => (mask & (1 << i)) != 0).ToArray();
            yield return (side, all.Except(side).ToArray());
        }
    }
}
