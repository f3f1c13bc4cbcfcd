using Haven.Actors.SplitBrain;
using static Haven.Actors.Tests.SplitBrain.SplitBrainTestViews;

namespace Haven.Actors.Tests.SplitBrain;

/// <summary>
/// Both sides of every two-way split of 2..7 nodes decide independently; the outcomes are compared.
/// </summary>
public sealed class ExactlyOneSurvivorTests
{
    private static readonly bool[] Bools = [false, true];

    [Fact]
    public void KeepMajority_EverySplitEveryReachabilitySymmetricFacts_ExactlyOneSurvivor()
    {
        var cases = 0;
        foreach (var heuristicsOn in Bools)
        {
            var strategy = new KeepMajorityStrategy(heuristicsOn);
            for (var n = 2; n <= 7; n++)
            foreach (var (a, b) in TwoWaySplits(n))
            foreach (var reachA in Bools)
            foreach (var reachB in Bools)
            {
                var sideA = strategy.Decide(View(a, b, heuristics: reachA, otherHeuristics: reachB));
                var sideB = strategy.Decide(View(b, a, heuristics: reachB, otherHeuristics: reachA));
                Assert.True(sideA.ThisSideSurvives ^ sideB.ThisSideSurvives,
                    $"n={n} A=[{string.Join(",", a)}] reachA={reachA} reachB={reachB} heuristics={heuristicsOn}: A {sideA.Reason} / B {sideB.Reason}");
                var winner = sideA.ThisSideSurvives ? a : b;
                var loser = sideA.ThisSideSurvives ? b : a;
                Assert.True(winner.Length >= loser.Length, "a minority never survives");
                if (a.Length == b.Length && heuristicsOn && reachA != reachB)
                    Assert.Equal(reachA ? a : b, winner);
                if (a.Length == b.Length && (!heuristicsOn || reachA == reachB))
                    Assert.Contains(1u, winner);
                var survivor = sideA.ThisSideSurvives ? sideA : sideB;
                Assert.Equal(Set(loser), survivor.NodesToDown);
                cases++;
            }
        }
        Assert.Equal(2 * 4 * Enumerable.Range(2, 6).Sum(n => (1 << n) - 2), cases);
    }

    [Fact]
    public void KeepMajority_EverySplitOnlyLocalFacts_NeverTwoSurvivors()
    {
        var strategy = new KeepMajorityStrategy(useHeuristics: true);
        var none = 0;
        for (var n = 2; n <= 7; n++)
        foreach (var (a, b) in TwoWaySplits(n))
        foreach (var reachA in new bool?[] { null, false, true })
        foreach (var reachB in new bool?[] { null, false, true })
        {
            var sideA = strategy.Decide(View(a, b, heuristics: reachA));
            var sideB = strategy.Decide(View(b, a, heuristics: reachB));
            Assert.False(sideA.ThisSideSurvives && sideB.ThisSideSurvives, $"n={n} A=[{string.Join(",", a)}] both survive");
            if (a.Length != b.Length) Assert.True(sideA.ThisSideSurvives ^ sideB.ThisSideSurvives);
            if (!sideA.ThisSideSurvives && !sideB.ThisSideSurvives)
            {
                none++;
                Assert.Equal(a.Length, b.Length);
                Assert.False((a.Contains(1u) ? reachA : reachB) ?? false, "no survivor only when the lowest side misses the heuristics");
            }
        }
        Assert.True(none > 0);
    }

    [Fact]
    public void KeepOldest_EverySplitEveryAgeOrder_ExactlyOneSurvivor()
    {
        foreach (var downIfAlone in Bools)
        {
            var strategy = new KeepOldestStrategy(downIfAlone);
            for (var n = 2; n <= 7; n++)
            for (uint oldest = 1; oldest <= n; oldest++)
            foreach (var (a, b) in TwoWaySplits(n))
            {
                Func<uint, long> age = id => id == oldest ? 0 : id;
                var sideA = strategy.Decide(View(a, b, age: age));
                var sideB = strategy.Decide(View(b, a, age: age));
                Assert.True(sideA.ThisSideSurvives ^ sideB.ThisSideSurvives, $"n={n} oldest={oldest} A=[{string.Join(",", a)}]");
            }
        }
    }

    [Fact]
    public void KeepReferee_EverySplitEveryReferee_AtMostOneSurvivorAndRefereeSideWins()
    {
        for (var n = 2; n <= 7; n++)
        for (uint referee = 1; referee <= n; referee++)
        foreach (var (a, b) in TwoWaySplits(n))
        {
            var strategy = new KeepRefereeStrategy(new(referee), minimumMembers: 1);
            var sideA = strategy.Decide(View(a, b));
            var sideB = strategy.Decide(View(b, a));
            Assert.True(sideA.ThisSideSurvives ^ sideB.ThisSideSurvives);
            Assert.Equal(a.Contains(referee), sideA.ThisSideSurvives);
        }
    }

    [Fact]
    public void StaticQuorum_EverySplitEveryValidQuorumSize_NeverTwoSurvivors()
    {
        for (var n = 2; n <= 7; n++)
        for (var quorum = n / 2 + 1; quorum <= n; quorum++)
        foreach (var (a, b) in TwoWaySplits(n))
        {
            var strategy = new StaticQuorumStrategy(quorum);
            var sideA = strategy.Decide(View(a, b));
            var sideB = strategy.Decide(View(b, a));
            Assert.False(sideA.ThisSideSurvives && sideB.ThisSideSurvives);
            Assert.Equal(a.Length >= quorum, sideA.ThisSideSurvives);
        }
    }

    [Fact]
    public void DownAll_EverySplit_NobodySurvivesAndEveryoneIsDowned()
    {
        var strategy = new DownAllStrategy();
        for (var n = 2; n <= 5; n++)
        foreach (var (a, b) in TwoWaySplits(n))
        {
            var decision = strategy.Decide(View(a, b));
            Assert.Equal(DowningDecisionKind.DownAll, decision.Kind);
            Assert.Equal(n, decision.NodesToDown.Count);
        }
    }
}
